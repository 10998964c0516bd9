package io.github.usbd4j.wdm;

/** {@code USBD_PIPE_HANDLE}: an isochronous pipe of the selected interface, from {@link Wdm#pipeHandle}. Opaque. */
public interface UsbdPipeHandle {}
