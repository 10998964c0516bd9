package io.github.usbd4j.wdm;

import io.github.usbd4j.usb.DeviceHandle;

/**
 * The calls a WDM/KMDF client driver makes for isochronous transfers
 * (<a href="{@docRoot}/../reference/wdm.html#s3">§3</a>), each returning an {@link NtStatus}.
 *
 * <p>Rules enforced before anything reaches the bus (<a href="{@docRoot}/../reference/wdm.html#s3-4">§3.4</a>,
 * <a href="{@docRoot}/../reference/wdm.html#s3-5">§3.5</a>): at most 255 packets per URB at full speed and 1024 at high
 * speed, where {@code NumberOfPackets} must also be a multiple of the packets per frame ({@code 8 / period}); packet
 * offsets contiguous and increasing, each packet within the pipe's maximum bytes per interval; without ASAP, a start
 * frame within ±1024 frames of now, else {@code Hdr.Status = USBD_STATUS_BAD_START_FRAME}. Packets whose frame has
 * passed fail one by one with {@code USBD_STATUS_ISO_NOT_ACCESSED_LATE}; {@code Hdr.Status} stays {@code
 * USBD_STATUS_SUCCESS} unless every packet failed. Short IN packets are never errors.
 */
public interface Wdm {

    /**
     * {@code USBD_CreateHandle}: registers a client driver with a device.
     *
     * @param device a device of the runtime
     * @param usbdHandle receives the handle
     * @return {@code STATUS_SUCCESS}, or {@code STATUS_INVALID_PARAMETER} / {@code STATUS_DEVICE_NOT_CONNECTED}
     */
    int usbdCreateHandle(DeviceHandle device, UsbdHandle[] usbdHandle);

    /**
     * {@code USBD_IsochUrbAllocate} (<a href="{@docRoot}/../reference/wdm.html#s3-3">§3.3</a>): a zeroed URB for {@code
     * numberOfIsochPacket} packets, with {@code Hdr.Length} and {@code Hdr.Function} set.
     *
     * @param usbdHandle the handle
     * @param numberOfIsochPacket packets, 1..1024
     * @param urb receives the URB, {@code null} on failure
     * @return {@code STATUS_SUCCESS} or {@code STATUS_INVALID_PARAMETER}
     */
    int usbdIsochUrbAllocate(UsbdHandle usbdHandle, int numberOfIsochPacket, Urb[] urb);

    /**
     * {@code USBD_UrbFree}.
     *
     * @param usbdHandle the handle
     * @param urb the URB; must not be pending
     */
    void usbdUrbFree(UsbdHandle usbdHandle, Urb urb);

    /**
     * {@code URB_FUNCTION_SELECT_INTERFACE}: selects an alternate setting, synchronously.
     *
     * @param usbdHandle the handle
     * @param interfaceNumber the interface
     * @param alternateSetting the setting
     * @return {@code STATUS_SUCCESS} or an error
     */
    int selectInterface(UsbdHandle usbdHandle, int interfaceNumber, int alternateSetting);

    /**
     * The {@code USBD_PIPE_HANDLE} of an endpoint of the selected settings, as the interface information of
     * a select-interface URB reports it.
     *
     * @param usbdHandle the handle
     * @param endpointAddress the endpoint
     * @return the handle, or {@code null} if the current settings have no such isochronous endpoint
     */
    UsbdPipeHandle pipeHandle(UsbdHandle usbdHandle, int endpointAddress);

    /**
     * {@code IoCallDriver} with an isochronous URB: validates and submits it. On {@code STATUS_PENDING} the
     * completion routine runs once when the URB completes; on any other status it does not run and
     * {@code Hdr.Status} says why.
     *
     * @param usbdHandle the handle
     * @param urb the URB
     * @param completionRoutine called on completion
     * @param context passed to it
     * @return {@code STATUS_PENDING}, {@code STATUS_INVALID_PARAMETER} or {@code STATUS_UNSUCCESSFUL}
     */
    int submitUrb(UsbdHandle usbdHandle, Urb urb, UrbCompletionRoutine completionRoutine, Object context);

    /**
     * {@code URB_FUNCTION_GET_CURRENT_FRAME_NUMBER}.
     *
     * @param usbdHandle the handle
     * @param frameNumber receives the 32-bit frame number
     * @return {@code STATUS_SUCCESS} or an error
     */
    int getCurrentFrameNumber(UsbdHandle usbdHandle, int[] frameNumber);

    /**
     * {@code URB_FUNCTION_ABORT_PIPE}: cancels every URB on the pipe; each completes with
     * {@code USBD_STATUS_CANCELED}. Returns when they have.
     *
     * @param usbdHandle the handle
     * @param pipeHandle the pipe
     * @return {@code STATUS_SUCCESS} or {@code STATUS_INVALID_PARAMETER}
     */
    int abortPipe(UsbdHandle usbdHandle, UsbdPipeHandle pipeHandle);
}
