package io.github.usbd4j.samples.iso;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;

/**
 * Streams any one isochronous endpoint: a chosen interface, alternate setting and endpoint, a fixed
 * frame length, a number of frames, transfers in flight, ASAP or an explicit first start frame, optional
 * {@code USB_COMPRESS_ISOCH}. OUT data comes from an input stream (or a counting pattern), IN data goes
 * to an output stream (or nowhere).
 */
public class GenericStreamDriver extends IsochStreamingDriver {
    /**
     * What to stream.
     *
     * @param interfaceNumber bInterfaceNumber
     * @param alternateSetting bAlternateSetting
     * @param endpointAddress bEndpointAddress (bit 7 = IN)
     * @param frameLength bytes requested per frame, 0 for the endpoint's maximum
     * @param frames frames to stream
     * @param framesPerTransfer entries per length array, 0 for the base driver's default (8 ms of bus time)
     * @param inFlight transfers in flight
     * @param startFrame explicit first start frame, or -1 for ASAP
     * @param compress {@code USB_COMPRESS_ISOCH} on IN
     */
    public record Spec(
            int interfaceNumber,
            int alternateSetting,
            int endpointAddress,
            int frameLength,
            long frames,
            int framesPerTransfer,
            int inFlight,
            long startFrame,
            boolean compress) {}

    /**
     * The most buffer memory the transfers in flight may take (each transfer has a buffer of its frames
     * times the endpoint's bytes per interval): far more than a stream needs, little enough to allocate.
     */
    public static final long MAX_BUFFER_BYTES = 64L << 20;

    private final Spec spec;
    private final InputStream source;
    private final OutputStream sink;

    /**
     * @param spec what to stream
     * @param source OUT data, or {@code null} for a counting pattern
     * @param sink where IN data goes, or {@code null}
     */
    public GenericStreamDriver(Spec spec, InputStream source, OutputStream sink) {
        this.spec = spec;
        this.source = source;
        this.sink = sink;
    }

    /** The spec. */
    public Spec spec() {
        return spec;
    }

    /**
     * Refuses a device without the interface, alternate setting and isochronous endpoint of the spec, or
     * whose endpoint cannot carry the spec's frame length at this speed.
     */
    @Override
    public String problemWith(UsbDevice device, UsbSpeed speed) {
        UsbInterface alt = device.findInterface(spec.interfaceNumber(), spec.alternateSetting());
        UsbEndpoint ep = alt == null ? null : alt.findEndpoint(spec.endpointAddress());
        if (ep == null || !ep.descriptor().isIsochronous()) {
            return String.format(
                    Locale.ROOT,
                    "it has no isochronous endpoint 0x%02X in interface %d alternate setting %d",
                    spec.endpointAddress(),
                    spec.interfaceNumber(),
                    spec.alternateSetting());
        }
        int max = maxFrameLength(ep.descriptor(), speed);
        if (spec.frameLength() > max) {
            return String.format(
                    Locale.ROOT,
                    "the frame length %d exceeds endpoint 0x%02X's %d bytes per interval",
                    spec.frameLength(),
                    spec.endpointAddress(),
                    max);
        }
        // the frames per transfer the stream will use: the base driver's default when the spec leaves it to it
        int framesPerTransfer = spec.framesPerTransfer() > 0
                ? spec.framesPerTransfer()
                : defaultFramesPerTransfer(ep.descriptor(), speed);
        long buffers = (long) spec.inFlight() * framesPerTransfer * max;
        if (buffers > MAX_BUFFER_BYTES) {
            return String.format(
                    Locale.ROOT,
                    "%d transfers in flight of %d frames of up to %d bytes need %d bytes of buffers, more than the"
                            + " %d MiB this driver allocates at most",
                    spec.inFlight(),
                    framesPerTransfer,
                    max,
                    buffers,
                    MAX_BUFFER_BYTES >> 20);
        }
        return null;
    }

    @Override
    protected UsbInterface selectAlternateSetting(UsbFuncs usbFuncs, UsbDevice device, UsbInterface offered) {
        if (offered != null && offered.descriptor().bInterfaceNumber() != spec.interfaceNumber()) {
            return null;
        }
        UsbInterface alt = usbFuncs.findInterface(device, spec.interfaceNumber(), spec.alternateSetting());
        return alt != null
                        && alt.findEndpoint(spec.endpointAddress()) != null
                        && alt.findEndpoint(spec.endpointAddress()).descriptor().isIsochronous()
                ? alt
                : null;
    }

    @Override
    protected List<UsbEndpoint> selectEndpoints(UsbInterface alt) {
        return List.of(alt.findEndpoint(spec.endpointAddress()));
    }

    @Override
    protected int framesPerTransfer(IsochStream stream) {
        return spec.framesPerTransfer() > 0 ? spec.framesPerTransfer() : super.framesPerTransfer(stream);
    }

    @Override
    protected int transfersInFlight(IsochStream stream) {
        return spec.inFlight();
    }

    @Override
    protected long frameLimit(IsochStream stream) {
        return spec.frames();
    }

    @Override
    protected long firstStartFrame(IsochStream stream) {
        return spec.startFrame();
    }

    @Override
    protected boolean compress(IsochStream stream) {
        return spec.compress();
    }

    @Override
    protected int frameLength(IsochStream stream, long index) {
        return spec.frameLength() <= 0 ? stream.maxFrameLength() : spec.frameLength();
    }

    @Override
    protected int fillOut(IsochStream stream, ByteBuffer data, int[] lengths, int count, long firstIndex) {
        int pos = 0;
        for (int k = 0; k < count; k++) {
            if (source == null) {
                for (int i = 0; i < lengths[k]; i++) {
                    data.put(pos + i, (byte) (firstIndex + k + i));
                }
            } else {
                byte[] b = new byte[lengths[k]];
                int n;
                try {
                    n = source.readNBytes(b, 0, b.length);
                } catch (IOException e) {
                    fail(e);
                    return k;
                }
                if (n <= 0) {
                    return k;
                }
                lengths[k] = n;
                data.put(pos, b, 0, n);
            }
            pos += lengths[k];
        }
        return count;
    }

    @Override
    protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
        if (sink != null && failure().isEmpty()) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            try {
                sink.write(b);
            } catch (IOException e) {
                fail(e);
            }
        }
    }
}
