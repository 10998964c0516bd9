package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link UsbDeviceRequest}: CE's 8-byte {@code USB_DEVICE_REQUEST} ([§1.4](reference/ce-usbd.html#s1-4)), little-endian
 * on the wire.
 */
class UsbDeviceRequestTest {

    @Test
    void toBytes_isLittleEndianSetupPacket() {
        UsbDeviceRequest r = new UsbDeviceRequest(0xC1, 0x81, 0x1234, 0x5678, 0x9ABC);
        assertThat(r.toBytes())
                .containsExactly((byte) 0xC1, (byte) 0x81, 0x34, 0x12, 0x78, 0x56, (byte) 0xBC, (byte) 0x9A);
    }

    @Test
    void getDeviceDescriptor_hasTheWellKnownBytes() {
        // GET_DESCRIPTOR(DEVICE), 18 bytes: 80 06 00 01 00 00 12 00
        UsbDeviceRequest r = new UsbDeviceRequest(0x80, 0x06, 0x0100, 0, 18);
        assertThat(r.toBytes()).containsExactly((byte) 0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00);
    }

    @Test
    void fromBytes_readsAtOffsetUnsigned() {
        byte[] b = {
            0x55, (byte) 0xFF, (byte) 0xFE, (byte) 0xFF, (byte) 0x80, (byte) 0xFD, (byte) 0xFC, (byte) 0xFB, 0x7F
        };
        UsbDeviceRequest r = UsbDeviceRequest.fromBytes(b, 1);
        assertThat(r).isEqualTo(new UsbDeviceRequest(0xFF, 0xFE, 0x80FF, 0xFCFD, 0x7FFB));
    }

    @Test
    void fromBytesToBytes_roundTrip() {
        for (int seed = 0; seed < 256; seed++) {
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (seed * 37 + i * 101);
            }
            assertThat(UsbDeviceRequest.fromBytes(b, 0).toBytes()).containsExactly(b);
        }
        UsbDeviceRequest r = new UsbDeviceRequest(0x21, 0x0A, 0xFFFF, 0x0100, 0);
        assertThat(UsbDeviceRequest.fromBytes(r.toBytes(), 0)).isEqualTo(r);
    }

    @Test
    void fromBytes_rejectsFewerThan8BytesAndBadOffset() {
        assertThatThrownBy(() -> UsbDeviceRequest.fromBytes(new byte[7], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDeviceRequest.fromBytes(new byte[8], 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDeviceRequest.fromBytes(new byte[8], -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDeviceRequest.fromBytes(new byte[8], 9))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bmRequestTypeHelpers_splitDirectionTypeRecipient() {
        // [§1.2](reference/ce-usbd.html#s1-2) helpers: DEVICE_TO_HOST 0x80, VENDOR 0x40, CLASS 0x20, FOR_INTERFACE
        // 0x01, FOR_ENDPOINT 0x02
        UsbDeviceRequest vendorIn = new UsbDeviceRequest(0x80 | 0x40 | 0x01, 1, 0, 0, 0);
        assertThat(vendorIn.isDeviceToHost()).isTrue();
        assertThat(vendorIn.type()).isEqualTo(0x40);
        assertThat(vendorIn.recipient()).isEqualTo(0x01);
        UsbDeviceRequest classOut = new UsbDeviceRequest(0x20 | 0x02, 1, 0, 0, 0);
        assertThat(classOut.isDeviceToHost()).isFalse();
        assertThat(classOut.type()).isEqualTo(0x20);
        assertThat(classOut.recipient()).isEqualTo(0x02);
        // [§1.9](reference/ce-usbd.html#s1-9): CE's SyncFrame quirk builds 0x02 (host-to-device, standard, endpoint)
        UsbDeviceRequest syncFrameQuirk = new UsbDeviceRequest(0x02, 12, 0, 0x81, 2);
        assertThat(syncFrameQuirk.isDeviceToHost()).isFalse();
        assertThat(syncFrameQuirk.type()).isEqualTo(0x00);
    }
}
