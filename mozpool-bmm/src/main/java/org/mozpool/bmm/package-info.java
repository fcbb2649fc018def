/**
 * Black Mobile Magic: drivers for real lab hardware. {@link org.mozpool.bmm.ProxrPowerControl}
 * switches power through NCD ProXR relay boards, {@link org.mozpool.bmm.PxeBootControl} writes
 * pxelinux configs served by the embedded {@link org.mozpool.bmm.TftpServer}, {@link
 * org.mozpool.bmm.NetworkDeviceProbe} pings devices and talks to their SUT agent through {@link
 * org.mozpool.bmm.SutAgentClient}, and {@link org.mozpool.bmm.DeviceCallbackServer} receives the
 * live image's callbacks; {@link org.mozpool.bmm.LiveScripts} and {@link
 * org.mozpool.bmm.PxeTemplates} ship the live image's scripts and sample PXE configs (see
 * LIVE-IMAGE.md); {@link org.mozpool.bmm.BmmModule} binds the three drivers for Guice. Public
 * types here are supported API; everything else in the module is
 * package-private. Pre-1.0: signatures may still change between minor versions.
 */
package org.mozpool.bmm;
