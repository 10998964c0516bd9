package io.github.usbd4j.benchmarks;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbConfiguration;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link Descriptors#parseConfiguration} on the configuration of a typical high-speed UVC 1.1 webcam:
 * an interface association, VideoControl with camera terminal, processing unit, output terminal and an
 * interrupt endpoint; VideoStreaming with an MJPEG format (3 frame sizes), an uncompressed YUY2 format
 * (2 frame sizes), color matching, and six alternate settings of isochronous IN endpoint 0x81 up to
 * high bandwidth 3 × 1024. 444 bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DescriptorParsingBenchmark {
    private static final int CS_INTERFACE = 0x24;
    private static final int CS_ENDPOINT = 0x25;
    private static final int[] ALT_MAX_PACKET = {0x0080, 0x0200, 0x0400, 0x0B00, 0x0C00, 0x1400};
    private static final int[] INTERVALS = {333_333, 666_666, 1_000_000}; // 30, 15, 10 fps in 100 ns
    private static final byte[] YUY2_GUID = {
        0x59,
        0x55,
        0x59,
        0x32,
        0x00,
        0x00,
        0x10,
        0x00,
        (byte) 0x80,
        0x00,
        0x00,
        (byte) 0xAA,
        0x00,
        0x38,
        (byte) 0x9B,
        0x71
    };

    /** The descriptor set parsed by the benchmark. */
    final byte[] webcam = webcamConfiguration();

    /**
     * Parses the whole configuration into the CE info records.
     *
     * @return the configuration
     * @throws DescriptorException never: the bytes are valid
     */
    @Benchmark
    public UsbConfiguration parseConfiguration() throws DescriptorException {
        return Descriptors.parseConfiguration(webcam);
    }

    static byte[] webcamConfiguration() {
        ConfigurationBuilder c = ConfigurationBuilder.configuration(1, 0x80, 250) // bus-powered, 500 mA
                .iad(0, 2, 0x0E, 0x03, 0x00, 2)
                .iface(0, 0, 0x0E, 0x01, 0x00, 2)
                // VC header, UVC 1.1, wTotalLength 52, 48 MHz clock, streaming interface 1
                .classSpecific(13, CS_INTERFACE, 0x01, 0x10, 0x01, 52, 0, 0x00, 0x6C, 0xDC, 0x02, 1, 1)
                // camera terminal 1: auto exposure, exposure time, focus
                .classSpecific(18, CS_INTERFACE, 0x02, 1, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x0A, 0x02, 0x00)
                // processing unit 2 from terminal 1: brightness, contrast, hue, saturation, sharpness, ...
                .classSpecific(12, CS_INTERFACE, 0x05, 2, 1, 0, 0, 2, 0x7F, 0x15, 0, 0)
                // output terminal 3 (USB streaming) from unit 2
                .classSpecific(9, CS_INTERFACE, 0x03, 3, 0x01, 0x01, 0, 2, 0)
                .endpoint(0x83, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, 16, 8)
                .classSpecific(5, CS_ENDPOINT, 0x03, 16, 0)
                .iface(1, 0, 0x0E, 0x02, 0x00)
                // VS input header: 2 formats, wTotalLength 249, endpoint 0x81, terminal 3, 1-byte controls
                .classSpecific(15, CS_INTERFACE, 0x01, 2, 249, 0, 0x81, 0, 3, 0, 0, 0, 1, 0, 0)
                // MJPEG format 1, 3 frames
                .classSpecific(11, CS_INTERFACE, 0x06, 1, 3, 0x01, 1, 0, 0, 0, 0)
                .classSpecific(frame(0x07, 1, 640, 480))
                .classSpecific(frame(0x07, 2, 1280, 720))
                .classSpecific(frame(0x07, 3, 320, 240))
                // uncompressed YUY2 format 2, 2 frames
                .classSpecific(uncompressedFormat(2, 2))
                .classSpecific(frame(0x05, 1, 640, 480))
                .classSpecific(frame(0x05, 2, 320, 240))
                // color matching: BT.709, BT.709 transfer, SMPTE 170M matrix
                .classSpecific(6, CS_INTERFACE, 0x0D, 1, 1, 4);
        for (int a = 0; a < ALT_MAX_PACKET.length; a++) {
            c.iface(1, a + 1, 0x0E, 0x02, 0x00).endpoint(0x81, 0x05, ALT_MAX_PACKET[a], 1);
        }
        return c.build();
    }

    /** A frame descriptor (MJPEG 0x07 or uncompressed 0x05) with three discrete intervals: 38 bytes. */
    private static byte[] frame(int subtype, int index, int width, int height) {
        int frameBytes = width * height * 2;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(26 + 4 * INTERVALS.length);
        b.write(CS_INTERFACE);
        b.write(subtype);
        b.write(index);
        b.write(0); // bmCapabilities
        le16(b, width);
        le16(b, height);
        le32(b, frameBytes * 8 * 10); // dwMinBitRate
        le32(b, frameBytes * 8 * 30); // dwMaxBitRate
        le32(b, frameBytes); // dwMaxVideoFrameBufferSize
        le32(b, INTERVALS[0]); // dwDefaultFrameInterval
        b.write(INTERVALS.length); // bFrameIntervalType: discrete
        for (int interval : INTERVALS) {
            le32(b, interval);
        }
        return b.toByteArray();
    }

    private static byte[] uncompressedFormat(int index, int frames) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(27);
        b.write(CS_INTERFACE);
        b.write(0x04);
        b.write(index);
        b.write(frames);
        b.writeBytes(YUY2_GUID);
        b.write(16); // bBitsPerPixel
        b.write(1); // bDefaultFrameIndex
        b.write(0); // bAspectRatioX
        b.write(0); // bAspectRatioY
        b.write(0); // bmInterlaceFlags
        b.write(0); // bCopyProtect
        return b.toByteArray();
    }

    private static void le16(ByteArrayOutputStream b, int v) {
        b.write(v);
        b.write(v >>> 8);
    }

    private static void le32(ByteArrayOutputStream b, int v) {
        le16(b, v);
        le16(b, v >>> 16);
    }
}
