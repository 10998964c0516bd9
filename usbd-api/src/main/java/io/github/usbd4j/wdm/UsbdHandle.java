package io.github.usbd4j.wdm;

/** {@code USBD_HANDLE} from {@link Wdm#usbdCreateHandle}: a client driver's registration with a device. Opaque. */
public interface UsbdHandle {}
