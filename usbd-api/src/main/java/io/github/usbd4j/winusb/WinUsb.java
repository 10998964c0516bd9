package io.github.usbd4j.winusb;

import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import java.nio.ByteBuffer;

/**
 * The WinUSB isochronous functions (<a href="{@docRoot}/../reference/winusb.html#s2-2">§2.2</a>,
 * <a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>), one method per {@code WinUsb_*} call, named after it.
 * Each returns {@code BOOL} and sets {@link io.github.usbd4j.win32.Win32#getLastError()}: with an {@link Overlapped}, a
 * call that was accepted returns {@code false} with {@code ERROR_IO_PENDING}, as WinUSB does; without one it blocks
 * until the I/O completes.
 *
 * <p>Rules (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>,
 * <a href="{@docRoot}/../reference/winusb.html#s2-4">§2.4</a>): transfers address sub-ranges of a registered buffer;
 * each transfer's length must be a whole number of frames ({@code MaximumBytesPerInterval × 8 / period} at high speed,
 * {@code MaximumBytesPerInterval} at full speed), else {@code ERROR_INVALID_PARAMETER}; ASAP transfers follow the
 * pipe's stream, and with {@code ContinueStream} fail if they cannot without a gap; packets whose frame has passed fail
 * one by one ({@code USBD_STATUS_ISO_NOT_ACCESSED_LATE}) instead of the whole transfer being refused as CE does; an
 * explicit start more than 1024 frames from now is refused. {@code lpNumberOfBytesTransferred} is always 0 for
 * isochronous I/O; read results are in the packet descriptors.
 */
public interface WinUsb {

    /**
     * {@code WinUsb_Initialize}: the first interface of a device.
     *
     * @param device a device of the runtime
     * @param interfaceHandle receives the handle
     * @return {@code false} with {@code ERROR_INVALID_HANDLE} for a bad device
     */
    boolean initialize(DeviceHandle device, WinUsbInterfaceHandle[] interfaceHandle);

    /**
     * {@code WinUsb_GetAssociatedInterface}: another interface of the same device.
     *
     * @param interfaceHandle the first interface
     * @param associatedInterfaceIndex 0 for the interface after the first, and so on
     * @param associatedInterfaceHandle receives the handle
     * @return {@code false} with {@code ERROR_NO_MORE_ITEMS} past the last interface
     */
    boolean getAssociatedInterface(
            WinUsbInterfaceHandle interfaceHandle,
            int associatedInterfaceIndex,
            WinUsbInterfaceHandle[] associatedInterfaceHandle);

    /**
     * {@code WinUsb_Free}: the handle is bad from then on ({@code ERROR_INVALID_HANDLE}); buffers registered through
     * it stay registered (<a href="{@docRoot}/../reference/winusb.html#s2-6">§2.6</a>).
     *
     * @param interfaceHandle the handle
     * @return {@code false} for a bad handle
     */
    boolean free(WinUsbInterfaceHandle interfaceHandle);

    /**
     * {@code WinUsb_SetCurrentAlternateSetting}.
     *
     * @param interfaceHandle the interface
     * @param settingNumber the alternate setting
     * @return {@code false} with {@code ERROR_INVALID_PARAMETER} for a setting that does not exist
     */
    boolean setCurrentAlternateSetting(WinUsbInterfaceHandle interfaceHandle, int settingNumber);

    /**
     * {@code WinUsb_QueryPipeEx} (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>): a pipe of an alternate
     * setting by index.
     *
     * @param interfaceHandle the interface
     * @param alternateSettingNumber the alternate setting
     * @param pipeIndex 0-based endpoint index in that setting
     * @param pipeInformationEx receives the information
     * @return {@code false} with {@code ERROR_NO_MORE_ITEMS} past the last endpoint
     */
    boolean queryPipeEx(
            WinUsbInterfaceHandle interfaceHandle,
            int alternateSettingNumber,
            int pipeIndex,
            WinUsbPipeInformationEx[] pipeInformationEx);

    /**
     * {@code WinUsb_RegisterIsochBuffer} (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>): ties a buffer
     * to one isochronous pipe of the current alternate setting.
     *
     * @param interfaceHandle the interface
     * @param pipeId the endpoint address
     * @param buffer the buffer; bytes 0..bufferLength-1 (absolute indices) are used
     * @param bufferLength its length
     * @param isochBufferHandle receives the handle
     * @return {@code false} with {@code ERROR_INVALID_PARAMETER} for a non-isochronous pipe or a bad length
     */
    boolean registerIsochBuffer(
            WinUsbInterfaceHandle interfaceHandle,
            int pipeId,
            ByteBuffer buffer,
            int bufferLength,
            WinUsbIsochBufferHandle[] isochBufferHandle);

    /**
     * {@code WinUsb_UnregisterIsochBuffer}: blocks until the transfers on the buffer complete, their OVERLAPPEDs
     * signalled (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>); later ones are refused with {@code
     * ERROR_INVALID_HANDLE}.
     *
     * @param isochBufferHandle the handle
     * @return {@code false} for a bad handle
     */
    boolean unregisterIsochBuffer(WinUsbIsochBufferHandle isochBufferHandle);

    /**
     * {@code WinUsb_WriteIsochPipe}: OUT at an explicit start frame.
     *
     * @param bufferHandle the registered buffer
     * @param offset start in the buffer
     * @param length bytes, a whole number of frames
     * @param frameNumber in: the start frame; out: the frame after the last one used
     * @param overlapped completion, or {@code null} to block
     * @return see the class comment
     */
    boolean writeIsochPipe(
            WinUsbIsochBufferHandle bufferHandle, int offset, int length, int[] frameNumber, Overlapped overlapped);

    /**
     * {@code WinUsb_ReadIsochPipe}: IN at an explicit start frame.
     *
     * @param bufferHandle the registered buffer
     * @param offset start in the buffer
     * @param length bytes, a whole number of frames
     * @param frameNumber in: the start frame; out: the frame after the last one used
     * @param numberOfPackets {@code length / MaximumBytesPerInterval}
     * @param isoPacketDescriptors receive each packet's offset, length and status
     * @param overlapped completion, or {@code null} to block
     * @return see the class comment
     */
    boolean readIsochPipe(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            int[] frameNumber,
            int numberOfPackets,
            UsbdIsoPacketDescriptor[] isoPacketDescriptors,
            Overlapped overlapped);

    /**
     * {@code WinUsb_WriteIsochPipeAsap}.
     *
     * @param bufferHandle the registered buffer
     * @param offset start in the buffer
     * @param length bytes, a whole number of frames
     * @param continueStream fail unless the transfer can follow the pipe's stream without a gap
     * @param overlapped completion, or {@code null} to block
     * @return see the class comment
     */
    boolean writeIsochPipeAsap(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            boolean continueStream,
            Overlapped overlapped);

    /**
     * {@code WinUsb_ReadIsochPipeAsap}.
     *
     * @param bufferHandle the registered buffer
     * @param offset start in the buffer
     * @param length bytes, a whole number of frames
     * @param continueStream fail unless the transfer can follow the pipe's stream without a gap
     * @param numberOfPackets {@code length / MaximumBytesPerInterval}
     * @param isoPacketDescriptors receive each packet's offset, length and status
     * @param overlapped completion, or {@code null} to block
     * @return see the class comment
     */
    boolean readIsochPipeAsap(
            WinUsbIsochBufferHandle bufferHandle,
            int offset,
            int length,
            boolean continueStream,
            int numberOfPackets,
            UsbdIsoPacketDescriptor[] isoPacketDescriptors,
            Overlapped overlapped);

    /**
     * {@code WinUsb_GetCurrentFrameNumber} (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>): the frame and
     * a timestamp in nanoseconds of bus time (the stand-in for a {@code QueryPerformanceCounter} value).
     *
     * @param interfaceHandle the interface
     * @param currentFrameNumber receives the frame
     * @param timeStamp receives the timestamp
     * @return {@code false} for a bad handle
     */
    boolean getCurrentFrameNumber(WinUsbInterfaceHandle interfaceHandle, int[] currentFrameNumber, long[] timeStamp);

    /**
     * {@code WinUsb_GetAdjustedFrameNumber} (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>): advances a
     * frame number read at {@code timeStamp} by the milliseconds since.
     *
     * @param currentFrameNumber in: the frame read; out: the frame now
     * @param timeStamp the timestamp read with it
     * @return {@code false} for a bad argument
     */
    boolean getAdjustedFrameNumber(int[] currentFrameNumber, long timeStamp);

    /**
     * {@code WinUsb_GetOverlappedResult}.
     *
     * @param interfaceHandle the interface
     * @param overlapped the I/O
     * @param numberOfBytesTransferred receives 0 for isochronous I/O
     * (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>)
     * @param wait block until it completes
     * @return {@code true} when it completed successfully; {@code false} with {@code ERROR_IO_INCOMPLETE}
     *     while pending, or the I/O's error
     */
    boolean getOverlappedResult(
            WinUsbInterfaceHandle interfaceHandle, Overlapped overlapped, int[] numberOfBytesTransferred, boolean wait);

    /**
     * {@code WinUsb_AbortPipe}: cancels every transfer on the pipe; they complete with
     * {@code ERROR_OPERATION_ABORTED}, and are signalled when it returns
     * (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>).
     *
     * @param interfaceHandle the interface
     * @param pipeId the endpoint address
     * @return {@code false} for a bad handle or pipe
     */
    boolean abortPipe(WinUsbInterfaceHandle interfaceHandle, int pipeId);
}
