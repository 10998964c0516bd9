package io.github.usbd4j.winusb;

/** {@code WINUSB_INTERFACE_HANDLE}: an interface of a device opened through {@link WinUsb#initialize}. Opaque. */
public interface WinUsbInterfaceHandle {}
