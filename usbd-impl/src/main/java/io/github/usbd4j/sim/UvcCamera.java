package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A USB Video Class 1.0 camera, 0x1209:0x0004, high speed: an interface association of VideoControl
 * (interface 0) and VideoStreaming (interface 1), one uncompressed YUY2 format of {@value #WIDTH} ×
 * {@value #HEIGHT}. Isochronous IN endpoint 0x81, bInterval 1, in three alternate settings:
 * alt 1 {@code 0x0400} (1 × 1024), alt 2 {@code 0x0B20} (2 × 800), alt 3 {@code 0x1400} (3 × 1024).
 *
 * <p>While an alternate setting other than 0 is selected, every IN packet carries a 2-byte payload
 * header ({@code bHeaderLength 2}, {@code bmHeaderInfo}: EOH, FID, EOF) and then as much of the current
 * video frame as fits in {@code min(requested, per-microframe maximum)}. The last packet of a frame has
 * EOF set; the next frame starts in the next packet with FID toggled. Frames are sent back to back, as
 * fast as the alternate setting allows; video frame {@code n} (counting from 0 since attachment) is
 * {@link #expectedFrame(long)}. Probe and commit controls are stored and returned as set.
 */
public final class UvcCamera extends DeviceModel {
    /** Product ID. */
    public static final int PRODUCT_ID = 0x0004;
    /** Image width in pixels. */
    public static final int WIDTH = 160;
    /** Image height in pixels. */
    public static final int HEIGHT = 120;
    /** Bytes of one YUY2 video frame. */
    public static final int FRAME_SIZE = WIDTH * HEIGHT * 2;
    /** The payload header's length. */
    public static final int HEADER_LENGTH = 2;
    /** {@code bmHeaderInfo} bit: frame ID, toggles at each new video frame. */
    public static final int FID = 0x01;
    /** {@code bmHeaderInfo} bit: end of frame. */
    public static final int EOF = 0x02;
    /** {@code bmHeaderInfo} bit: end of header. */
    public static final int EOH = 0x80;

    private static final int[] MAX_PACKET = {0, 0x0400, 0x0B20, 0x1400};
    private static final byte[] YUY2 = {
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

    private int alt;
    private long frameNumber;
    private int frameOffset;
    private int fid;
    private final byte[] probe = defaultProbe();
    private final byte[] commit = defaultProbe();

    private final EndpointHandler video = new EndpointHandler() {
        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            return payload(dest, maxLength);
        }
    };

    /**
     * The YUY2 bytes of video frame {@code n}: pixel {@code (x, y)} has luma {@code (x + y + n) & 0xFF};
     * every U sample is {@code n & 0xFF}, every V sample 128.
     *
     * @param n the video frame number, from 0
     * @return {@link #FRAME_SIZE} bytes
     */
    public static byte[] expectedFrame(long n) {
        byte[] f = new byte[FRAME_SIZE];
        for (int i = 0; i < FRAME_SIZE; i++) {
            f[i] = frameByte(n, i);
        }
        return f;
    }

    /** Byte {@code i} of video frame {@code n}: Y0 U Y1 V per pixel pair, rows top to bottom. */
    private static byte frameByte(long n, int i) {
        int pair = i >>> 2;
        int y = pair / (WIDTH / 2);
        int x = (pair % (WIDTH / 2)) * 2;
        return switch (i & 3) {
            case 0 -> (byte) (x + y + n);
            case 1 -> (byte) n;
            case 2 -> (byte) (x + 1 + y + n);
            default -> (byte) 128;
        };
    }

    @Override
    public UsbSpeed speed() {
        return UsbSpeed.HIGH;
    }

    @Override
    public UsbDeviceDescriptor deviceDescriptor() {
        return new UsbDeviceDescriptor(18, 1, 0x0200, 0xEF, 0x02, 0x01, 64, 0x1209, PRODUCT_ID, 0x0100, 1, 2, 0, 1);
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        ConfigurationBuilder c = ConfigurationBuilder.configuration(1, 0x80, 50) // bus-powered, 100 mA
                .iad(0, 2, 0x0E, 0x03, 0, 0)
                .iface(0, 0, 0x0E, 0x01, 0)
                .classSpecific(13, 0x24, 0x01, 0x00, 0x01, 40, 0, 0x00, 0x6C, 0xDC, 0x02, 1, 1) // VC header, 48 MHz
                .classSpecific(18, 0x24, 0x02, 1, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0) // camera terminal
                .classSpecific(9, 0x24, 0x03, 2, 0x01, 0x01, 0, 1, 0) // output terminal: USB streaming
                .iface(1, 0, 0x0E, 0x02, 0)
                .classSpecific(14, 0x24, 0x01, 1, 71, 0, 0x81, 0, 2, 0, 0, 0, 1, 0) // VS input header
                .classSpecific(3 + 24, 0x24, 0x04, 1, 1)
                .classSpecific(YUY2)
                .classSpecific(16, 1, 0, 0, 0, 0) // bBitsPerPixel, default frame, aspect, interlace, copy protect
                .classSpecific(30, 0x24, 0x05, 1, 0)
                .classSpecific(le16(WIDTH))
                .classSpecific(le16(HEIGHT))
                .classSpecific(le32(FRAME_SIZE * 8 * 30))
                .classSpecific(le32(FRAME_SIZE * 8 * 30))
                .classSpecific(le32(FRAME_SIZE))
                .classSpecific(le32(333_333))
                .classSpecific(1)
                .classSpecific(le32(333_333));
        for (int a = 1; a < MAX_PACKET.length; a++) {
            c.iface(1, a, 0x0E, 0x02, 0).endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS | 0x04, MAX_PACKET[a], 1);
        }
        return List.of(c.build());
    }

    private static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8)};
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] defaultProbe() {
        ByteBuffer p = ByteBuffer.allocate(26).order(ByteOrder.LITTLE_ENDIAN);
        p.putShort(0, (short) 0); // bmHint
        p.put(2, (byte) 1).put(3, (byte) 1); // bFormatIndex, bFrameIndex
        p.putInt(4, 333_333); // dwFrameInterval
        p.putInt(18, FRAME_SIZE); // dwMaxVideoFrameSize
        p.putInt(22, 3 * 1024); // dwMaxPayloadTransferSize
        return p.array();
    }

    @Override
    public String string(int index) {
        return switch (index) {
            case 1 -> "usbd4j";
            case 2 -> "UVC Camera";
            default -> null;
        };
    }

    @Override
    public synchronized ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
        int selector = setup.wValue() >>> 8;
        boolean streaming = setup.recipient() == 0x01 && (setup.wIndex() & 0xFF) == 1;
        if (!streaming || (selector != 1 && selector != 2)) {
            return ControlResponse.stall();
        }
        byte[] control = selector == 1 ? probe : commit;
        if (setup.bmRequestType() == 0x21 && setup.bRequest() == 0x01) { // SET_CUR
            dataOut.get(0, control, 0, Math.min(dataOut.remaining(), control.length));
            return ControlResponse.ack();
        }
        if (setup.bmRequestType() == 0xA1) {
            return switch (setup.bRequest()) {
                case 0x81 -> ControlResponse.data(control); // GET_CUR
                case 0x82, 0x83, 0x87 -> ControlResponse.data(defaultProbe()); // GET_MIN, GET_MAX, GET_DEF
                case 0x86 -> ControlResponse.data((byte) 2, (byte) 0); // GET_LEN
                default -> ControlResponse.stall();
            };
        }
        return ControlResponse.stall();
    }

    @Override
    public EndpointHandler endpoint(int address) {
        return address == 0x81 ? video : null;
    }

    @Override
    public synchronized void alternateSettingChanged(int interfaceNumber, int alternateSetting) {
        if (interfaceNumber == 1) {
            alt = alternateSetting;
            frameOffset = 0; // a (re)started stream begins with a whole frame
        }
    }

    @Override
    public synchronized void configurationChanged(int configurationValue) {
        alt = 0;
    }

    /** Video frames sent completely (EOF) so far. */
    public synchronized long framesSent() {
        return frameNumber;
    }

    private synchronized int payload(ByteBuffer dest, int maxLength) {
        if (alt == 0) {
            return 0;
        }
        int perMicroframe = (MAX_PACKET[alt] & 0x7FF) * (((MAX_PACKET[alt] >>> 11) & 3) + 1);
        int room = Math.min(maxLength, perMicroframe) - HEADER_LENGTH;
        if (room < 0) {
            return 0;
        }
        int n = Math.min(room, FRAME_SIZE - frameOffset);
        boolean end = frameOffset + n == FRAME_SIZE;
        dest.put((byte) HEADER_LENGTH).put((byte) (EOH | fid | (end ? EOF : 0)));
        for (int i = 0; i < n; i++) {
            dest.put(frameByte(frameNumber, frameOffset + i));
        }
        frameOffset += n;
        if (end) {
            frameNumber++;
            fid ^= FID;
            frameOffset = 0;
        }
        return HEADER_LENGTH + n;
    }
}
