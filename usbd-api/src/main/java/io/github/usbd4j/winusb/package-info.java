/**
 * The WinUSB isochronous personality (Windows 8.1+, <a href="{@docRoot}/../reference/winusb.html#s2">§2</a>): {@code
 * WinUsb_RegisterIsochBuffer}, {@code WinUsb_Read/WriteIsochPipe[Asap]}, {@code WinUsb_QueryPipeEx}, frame numbers, and
 * {@code OVERLAPPED} completion as a Java future and callback. Calls return {@code BOOL} and set {@link
 * io.github.usbd4j.win32.Win32#getLastError()}, as WinUSB does.
 */
package io.github.usbd4j.winusb;
