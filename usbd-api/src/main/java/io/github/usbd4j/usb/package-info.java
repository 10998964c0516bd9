/**
 * Types of the Windows Driver Kit's {@code usb.h} that the WinUSB and WDM personalities share:
 * {@code USBD_STATUS} values and the {@code USBD_ISO_PACKET_DESCRIPTOR} (usb-iso-apis.md §2.1, §3.6).
 */
package io.github.usbd4j.usb;
