package io.github.usbd4j.winusb;

/**
 * {@code WINUSB_PIPE_INFORMATION_EX} (<a href="{@docRoot}/../reference/winusb.html#s2-1">§2.1</a>), filled by {@link
 * WinUsb#queryPipeEx}.
 *
 * @param pipeType {@code USBD_PIPE_TYPE}: {@link #USBD_PIPE_TYPE_CONTROL} .. {@link #USBD_PIPE_TYPE_INTERRUPT}
 * @param pipeId endpoint address, direction bit included
 * @param maximumPacketSize the raw {@code wMaxPacketSize}
 * @param interval the endpoint's {@code bInterval} (usbd4j reports the raw exponent, as libusb reads it)
 * @param maximumBytesPerInterval bytes per service interval, high-bandwidth and SuperSpeed included
 */
public record WinUsbPipeInformationEx(
        int pipeType, int pipeId, int maximumPacketSize, int interval, int maximumBytesPerInterval) {
    /** {@code UsbdPipeTypeControl}. */
    public static final int USBD_PIPE_TYPE_CONTROL = 0;
    /** {@code UsbdPipeTypeIsochronous}. */
    public static final int USBD_PIPE_TYPE_ISOCHRONOUS = 1;
    /** {@code UsbdPipeTypeBulk}. */
    public static final int USBD_PIPE_TYPE_BULK = 2;
    /** {@code UsbdPipeTypeInterrupt}. */
    public static final int USBD_PIPE_TYPE_INTERRUPT = 3;
}
