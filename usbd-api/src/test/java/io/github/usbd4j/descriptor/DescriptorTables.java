package io.github.usbd4j.descriptor;

/**
 * Real descriptor sets written field by field, shared by the tests. Each table lists unsigned byte
 * values, one row per descriptor (the formatter keeps rows intact); {@link #bytes} turns them into what a device returns. Offsets in comments are where each
 * descriptor starts, which the malformed-input tests rely on.
 */
final class DescriptorTables {
    private DescriptorTables() {}

    static byte[] bytes(int... unsigned) {
        return ConfigurationBuilder.bytes(unsigned);
    }

    /** The rows of a table, one descriptor (or field group) each, as one byte array. */
    static byte[] bytes(int[][] rows) {
        return bytes(java.util.Arrays.stream(rows)
                .flatMapToInt(java.util.Arrays::stream)
                .toArray());
    }

    // ---- (a) USB Audio Class 1 speaker, full speed ---------------------------------------------

    /** C-Media style UAC1 speaker: USB 1.1, class in the interfaces. */
    static final int[][] SPEAKER_DEVICE = {
        // bLength 18, bDescriptorType DEVICE
        {18, 0x01},
        // bcdUSB 1.10
        {0x10, 0x01},
        // bDeviceClass, bDeviceSubClass, bDeviceProtocol: given per interface
        {0x00, 0x00, 0x00},
        // bMaxPacketSize0
        {64},
        // idVendor 0x0D8C, idProduct 0x0014, bcdDevice 1.00
        {0x8C, 0x0D, 0x14, 0x00, 0x00, 0x01},
        // iManufacturer 1, iProduct 2, iSerialNumber none, bNumConfigurations 1
        {1, 2, 0, 1},
    };

    static final int[][] SPEAKER_CONFIG = {
        // @0 configuration: wTotalLength 110, 2 interfaces, value 1, no string, bus-powered, 100 mA
        {9, 0x02, 110, 0, 2, 1, 0, 0x80, 50},
        // @9 interface 0 alt 0: AUDIO (1) / AUDIOCONTROL (1), no endpoints
        {9, 0x04, 0, 0, 0, 0x01, 0x01, 0x00, 0},
        // @18 CS_INTERFACE HEADER: bcdADC 1.00, wTotalLength 40, bInCollection 1, baInterfaceNr(1) = 1
        {9, 0x24, 0x01, 0x00, 0x01, 40, 0, 1, 1},
        // @27 INPUT_TERMINAL: id 1, USB streaming 0x0101, no assoc, 2 channels, L+R 0x0003, no strings
        {12, 0x24, 0x02, 1, 0x01, 0x01, 0, 2, 0x03, 0x00, 0, 0},
        // @39 FEATURE_UNIT: id 2, source 1, bControlSize 1, master mute+volume, ch1 none, ch2 none, no string
        {10, 0x24, 0x06, 2, 1, 1, 0x03, 0x00, 0x00, 0},
        // @49 OUTPUT_TERMINAL: id 3, speaker 0x0301, no assoc, source 2, no string
        {9, 0x24, 0x03, 3, 0x01, 0x03, 0, 2, 0},
        // @58 interface 1 alt 0: AUDIOSTREAMING (2), zero bandwidth
        {9, 0x04, 1, 0, 0, 0x01, 0x02, 0x00, 0},
        // @67 interface 1 alt 1: AUDIOSTREAMING, 1 endpoint
        {9, 0x04, 1, 1, 1, 0x01, 0x02, 0x00, 0},
        // @76 CS_INTERFACE AS_GENERAL: terminal link 1, bDelay 1, wFormatTag PCM 0x0001
        {7, 0x24, 0x01, 1, 1, 0x01, 0x00},
        // @83 FORMAT_TYPE I: 2 channels, 2-byte subframes, 16 bits, 1 discrete rate 48000 Hz (0x00BB80)
        {11, 0x24, 0x02, 0x01, 2, 2, 16, 1, 0x80, 0xBB, 0x00},
        // @94 endpoint (audio 9-byte form): 0x01 OUT, isochronous adaptive (0x09), 192 bytes, bInterval 1,
        // bRefresh 0, bSynchAddress 0
        {9, 0x05, 0x01, 0x09, 192, 0, 1, 0, 0},
        // @103 CS_ENDPOINT EP_GENERAL: sampling frequency control, bLockDelayUnits 0, wLockDelay 0
        {7, 0x25, 0x01, 0x01, 0, 0, 0},
        // @110 end
    };

    /** String 0: one language, US English. */
    static final int[][] LANGUAGE_IDS = {
        // bLength 4, STRING, wLANGID[0] 0x0409
        {4, 0x03, 0x09, 0x04},
    };

    /** String 2: "Speaker" in UTF-16LE. */
    static final int[][] PRODUCT_STRING = {
        {16, 0x03, 'S', 0, 'p', 0, 'e', 0, 'a', 0, 'k', 0, 'e', 0, 'r', 0},
    };

    // ---- (b) UVC webcam, high speed --------------------------------------------------------------

    static final int[][] WEBCAM_DEVICE = {
        // bLength 18, bDescriptorType DEVICE, bcdUSB 2.00
        {18, 0x01, 0x00, 0x02},
        // Miscellaneous (0xEF) / Common Class (2) / Interface Association (1), bMaxPacketSize0 64
        {0xEF, 0x02, 0x01, 64},
        // idVendor 0x046D, idProduct 0x0825, bcdDevice 0.10
        {0x6D, 0x04, 0x25, 0x08, 0x10, 0x00},
        // no manufacturer string, iProduct 2, iSerialNumber 1, bNumConfigurations 1
        {0, 2, 1, 1},
    };

    static final int[][] WEBCAM_CONFIG = {
        // @0 configuration: wTotalLength 196, 2 interfaces, value 1, bus-powered, 500 mA
        {9, 0x02, 196, 0, 2, 1, 0, 0x80, 250},
        // @9 IAD: interfaces 0..1, CC_VIDEO (0x0E), SC_VIDEO_INTERFACE_COLLECTION (3), iFunction 2
        {8, 0x0B, 0, 2, 0x0E, 0x03, 0x00, 2},
        // @17 interface 0 alt 0: VIDEO / VIDEOCONTROL, 1 endpoint, iInterface 2
        {9, 0x04, 0, 0, 1, 0x0E, 0x01, 0x00, 2},
        // @26 VC_HEADER: bcdUVC 1.00, wTotalLength 40, dwClockFrequency 48 MHz, bInCollection 1, interface 1
        {13, 0x24, 0x01, 0x00, 0x01, 40, 0, 0x00, 0x6C, 0xDC, 0x02, 1, 1},
        // @39 VC_INPUT_TERMINAL camera: id 1, ITT_CAMERA 0x0201, no assoc, no string, focal lengths 0,
        // bControlSize 3, bmControls auto-exposure mode + exposure time
        {18, 0x24, 0x02, 1, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x0A, 0x00, 0x00},
        // @57 VC_OUTPUT_TERMINAL: id 2, TT_STREAMING 0x0101, no assoc, source 1, no string
        {9, 0x24, 0x03, 2, 0x01, 0x01, 0, 1, 0},
        // @66 endpoint 0x83 IN interrupt, 16 bytes, bInterval 8 (2^7 microframes = 16 ms)
        {7, 0x05, 0x83, 0x03, 16, 0, 8},
        // @73 CS_ENDPOINT EP_INTERRUPT: wMaxTransferSize 16
        {5, 0x25, 0x03, 16, 0},
        // @78 interface 1 alt 0: VIDEO / VIDEOSTREAMING, zero bandwidth
        {9, 0x04, 1, 0, 0, 0x0E, 0x02, 0x00, 0},
        // @87 VS_INPUT_HEADER: 1 format, wTotalLength 61, endpoint 0x81, bmInfo 0, terminal link 2,
        // no still capture, no trigger, bControlSize 1, bmaControls 0
        {14, 0x24, 0x01, 1, 61, 0, 0x81, 0, 2, 0, 0, 0, 1, 0},
        // @101 VS_FORMAT_MJPEG: index 1, 1 frame, fixed-size samples, default frame 1, aspect 0:0, no flags
        {11, 0x24, 0x06, 1, 1, 0x01, 1, 0, 0, 0, 0},
        // @112 VS_FRAME_MJPEG: index 1, no still, 640x480, bit rate 24576000..147456000, buffer 614400,
        // default interval 333333 (30 fps), 1 discrete interval 333333
        {
            30, 0x24, 0x07, 1, 0, 0x80, 0x02, 0xE0, 0x01, 0x00, 0x00, 0x77, 0x01, 0x00, 0x00, 0xCA, 0x08, 0x00, 0x60,
            0x09, 0x00, 0x15, 0x16, 0x05, 0x00, 1, 0x15, 0x16, 0x05, 0x00
        },
        // @142 VS_COLORFORMAT: BT.709 primaries, BT.709 transfer, SMPTE 170M matrix
        {6, 0x24, 0x0D, 1, 1, 4},
        // @148 interface 1 alt 1
        {9, 0x04, 1, 1, 1, 0x0E, 0x02, 0x00, 0},
        // @157 endpoint 0x81 IN isochronous asynchronous, wMaxPacketSize 0x0B20 = 2 x 800, bInterval 1
        {7, 0x05, 0x81, 0x05, 0x20, 0x0B, 1},
        // @164 interface 1 alt 2
        {9, 0x04, 1, 2, 1, 0x0E, 0x02, 0x00, 0},
        // @173 endpoint 0x81: wMaxPacketSize 0x1400 = 3 x 1024, bInterval 1
        {7, 0x05, 0x81, 0x05, 0x00, 0x14, 1},
        // @180 interface 1 alt 3
        {9, 0x04, 1, 3, 1, 0x0E, 0x02, 0x00, 0},
        // @189 endpoint 0x81: wMaxPacketSize 0x0080 = 1 x 128, bInterval 4 (every 8 microframes)
        {7, 0x05, 0x81, 0x05, 0x80, 0x00, 4},
        // @196 end
    };

    // ---- (c) SuperSpeed device with companions and a BOS ---------------------------------------

    static final int[][] SS_DEVICE = {
        // bLength 18, bDescriptorType DEVICE, bcdUSB 3.20
        {18, 0x01, 0x20, 0x03},
        // class per interface, bMaxPacketSize0 9 (2^9 = 512 at SuperSpeed)
        {0x00, 0x00, 0x00, 9},
        // idVendor 0x1234, idProduct 0x5678, bcdDevice 1.00
        {0x34, 0x12, 0x78, 0x56, 0x00, 0x01},
        // iManufacturer 1, iProduct 2, iSerialNumber 3, bNumConfigurations 1
        {1, 2, 3, 1},
    };

    static final int[][] SS_CONFIG = {
        // @0 configuration: wTotalLength 105, 2 interfaces, value 1, self-powered, 896 mA (112 x 8 mA)
        {9, 0x02, 105, 0, 2, 1, 0, 0xC0, 112},
        // @9 interface 0 alt 0: vendor, 2 endpoints
        {9, 0x04, 0, 0, 2, 0xFF, 0x00, 0x00, 0},
        // @18 endpoint 0x81 IN bulk, 1024
        {7, 0x05, 0x81, 0x02, 0x00, 0x04, 0},
        // @25 companion: bMaxBurst 15 (16 packets), no streams, wBytesPerInterval 0
        {6, 0x30, 15, 0x00, 0, 0},
        // @31 endpoint 0x02 OUT bulk, 1024
        {7, 0x05, 0x02, 0x02, 0x00, 0x04, 0},
        // @38 companion: bMaxBurst 3, MaxStreams 4 (16 streams)
        {6, 0x30, 3, 0x04, 0, 0},
        // @44 interface 1 alt 0: vendor, zero bandwidth
        {9, 0x04, 1, 0, 0, 0xFF, 0x00, 0x00, 0},
        // @53 interface 1 alt 1: 1 endpoint
        {9, 0x04, 1, 1, 1, 0xFF, 0x00, 0x00, 0},
        // @62 endpoint 0x83 IN isochronous asynchronous, 1024, bInterval 1
        {7, 0x05, 0x83, 0x05, 0x00, 0x04, 1},
        // @69 companion: bMaxBurst 15, Mult 2 (3 bursts), wBytesPerInterval 49152 = 16 x 3 x 1024
        {6, 0x30, 15, 0x02, 0x00, 0xC0},
        // @75 interface 1 alt 2: 1 endpoint
        {9, 0x04, 1, 2, 1, 0xFF, 0x00, 0x00, 0},
        // @84 endpoint 0x83 IN isochronous asynchronous, 1024, bInterval 1
        {7, 0x05, 0x83, 0x05, 0x00, 0x04, 1},
        // @91 companion: bMaxBurst 15, bit 7 = SSP isochronous companion follows, wBytesPerInterval 1
        {6, 0x30, 15, 0x80, 1, 0},
        // @97 SSP isochronous companion: wReserved 0, dwBytesPerInterval 98304 (0x00018000)
        {8, 0x31, 0, 0, 0x00, 0x80, 0x01, 0x00},
        // @105 end
    };

    static final int[][] SS_BOS = {
        // @0 BOS: wTotalLength 42, 3 capabilities
        {5, 0x0F, 42, 0, 3},
        // @5 USB 2.0 extension: bmAttributes 0x00000006 (LPM, BESL)
        {7, 0x10, 0x02, 0x06, 0x00, 0x00, 0x00},
        // @12 SuperSpeed USB: no LTM, speeds FS+HS+SS (0x000E), full function from FS (1), U1 10 µs, U2 2047 µs
        {10, 0x10, 0x03, 0x00, 0x0E, 0x00, 0x01, 0x0A, 0xFF, 0x07},
        // @22 Container ID: bReserved 0, 16-byte UUID
        {
            20, 0x10, 0x04, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD,
            0xEE, 0xFF
        },
        // @42 end
    };
}
