package io.github.usbd4j.wdm;

import io.github.usbd4j.usb.UsbdIsoPacketDescriptor;
import java.nio.ByteBuffer;

/**
 * An isochronous URB: {@code struct _URB_ISOCH_TRANSFER} of {@code usb.h}
 * (<a href="{@docRoot}/../reference/wdm.html#s3-1">§3.1</a>), from {@link Wdm#usbdIsochUrbAllocate}. A mutable struct
 * with the C fields, so that driver code ports line by line; the client fills the request fields, the stack writes the
 * results.
 */
public final class Urb {
    /** {@code URB_FUNCTION_ABORT_PIPE}. */
    public static final int URB_FUNCTION_ABORT_PIPE = 0x0002;
    /** {@code URB_FUNCTION_GET_CURRENT_FRAME_NUMBER}. */
    public static final int URB_FUNCTION_GET_CURRENT_FRAME_NUMBER = 0x0007;
    /** {@code URB_FUNCTION_ISOCH_TRANSFER}. */
    public static final int URB_FUNCTION_ISOCH_TRANSFER = 0x000A;

    /** {@code USBD_TRANSFER_DIRECTION_OUT} (<a href="{@docRoot}/../reference/wdm.html#s3-2">§3.2</a>). */
    public static final int USBD_TRANSFER_DIRECTION_OUT = 0;
    /** {@code USBD_TRANSFER_DIRECTION_IN} (<a href="{@docRoot}/../reference/wdm.html#s3-2">§3.2</a>). */
    public static final int USBD_TRANSFER_DIRECTION_IN = 0x00000001;
    /** {@code USBD_SHORT_TRANSFER_OK}: no effect on isochronous transfers, whose short packets are never errors. */
    public static final int USBD_SHORT_TRANSFER_OK = 0x00000002;
    /** {@code USBD_START_ISO_TRANSFER_ASAP} (<a href="{@docRoot}/../reference/wdm.html#s3-5">§3.5</a>). */
    public static final int USBD_START_ISO_TRANSFER_ASAP = 0x00000004;
    /** {@code USBD_DEFAULT_PIPE_TRANSFER}. */
    public static final int USBD_DEFAULT_PIPE_TRANSFER = 0x00000008;
    /** {@code VALID_TRANSFER_FLAGS_MASK}. */
    public static final int VALID_TRANSFER_FLAGS_MASK = 0x0000000F;
    /**
     * {@code USBD_ISO_START_FRAME_RANGE}: an explicit start must lie within this many frames of now
     * (<a href="{@docRoot}/../reference/wdm.html#s3-5">§3.5</a>).
     */
    public static final int USBD_ISO_START_FRAME_RANGE = 1024;

    /** {@code Hdr.Length}: the URB's size, {@code GET_ISO_URB_SIZE(n)} on a 64-bit system. */
    public int hdrLength;
    /** {@code Hdr.Function}: {@link #URB_FUNCTION_ISOCH_TRANSFER}. */
    public int hdrFunction;
    /** {@code Hdr.Status}: the URB's {@code USBD_STATUS} (written by the stack). */
    public int hdrStatus;
    /** {@code PipeHandle}. */
    public UsbdPipeHandle pipeHandle;
    /** {@code TransferFlags}: direction and {@link #USBD_START_ISO_TRANSFER_ASAP}. */
    public int transferFlags;
    /** {@code TransferBufferLength}: in, the data size; out, the bytes transferred. */
    public int transferBufferLength;
    /** {@code TransferBuffer}: the data from its position (the MDL has no Java counterpart). */
    public ByteBuffer transferBuffer;
    /** {@code StartFrame}: in, the start (ignored with ASAP); out, the frame used. */
    public int startFrame;
    /** {@code NumberOfPackets}. */
    public int numberOfPackets;
    /** {@code ErrorCount}: out, packets that completed with an error status. */
    public int errorCount;
    /** {@code IsoPacket[]}: as many entries as allocated. */
    public final UsbdIsoPacketDescriptor[] isoPacket;

    /**
     * A zeroed URB with room for {@code packets} descriptors; use {@link Wdm#usbdIsochUrbAllocate}.
     *
     * @param packets the descriptor count
     */
    public Urb(int packets) {
        this.isoPacket = UsbdIsoPacketDescriptor.array(packets);
    }

    /**
     * {@code GET_ISO_URB_SIZE(n)} for a 64-bit system (<a href="{@docRoot}/../reference/wdm.html#s3-3">§3.3</a>): the
     * struct with one descriptor inside, plus {@code n} more, so one descriptor too many, as the macro does.
     *
     * @param n the packet count
     * @return the size in bytes
     */
    public static int getIsoUrbSize(int n) {
        return 152 + 12 * n;
    }
}
