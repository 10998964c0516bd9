package io.github.usbd4j.descriptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The period and payload arithmetic of usb-iso-apis.md §4. */
class EndpointsTest {

    @ParameterizedTest(name = "type {0} bInterval {1} at {2} -> {3}")
    @CsvSource({
        // isochronous: 2^(bInterval-1) frames or microframes
        "1, 1, FULL, 1",
        "1, 4, FULL, 8",
        "1, 1, HIGH, 1",
        "1, 4, HIGH, 8",
        "1, 16, SUPER, 32768",
        // interrupt: bInterval frames at LS/FS, 2^(bInterval-1) microframes at HS and up
        "3, 1, FULL, 1",
        "3, 4, FULL, 4",
        "3, 10, LOW, 10",
        "3, 255, FULL, 255",
        "3, 1, HIGH, 1",
        "3, 4, HIGH, 8",
        "3, 4, SUPER_PLUS, 8",
        // bulk and control have no service period
        "2, 0, HIGH, 0",
        "0, 0, FULL, 0",
    })
    void servicePeriod_followsTheSpeedRules(int type, int bInterval, UsbSpeed speed, int expected) {
        assertThat(Endpoints.servicePeriod(UsbEndpointDescriptor.of(0x81, type, 64, bInterval), speed))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "type {0} bInterval {1} at {2}")
    @CsvSource({"1, 0, FULL", "1, 17, HIGH", "3, 17, HIGH", "3, 0, FULL", "1, 1, LOW"})
    void servicePeriod_rejectsOutOfRangeIntervals(int type, int bInterval, UsbSpeed speed) {
        assertThatThrownBy(() -> Endpoints.servicePeriod(UsbEndpointDescriptor.of(0x81, type, 64, bInterval), speed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching(".*(" + bInterval + "|low-speed).*");
    }

    @ParameterizedTest(name = "wMaxPacketSize {0} at {1} -> {2}")
    @CsvSource({
        "1023, FULL, 1023",
        "0x0B20, HIGH, 1600",
        "0x1400, HIGH, 3072",
        "0x0400, HIGH, 1024",
        "0x0400, SUPER, 1024", // no companion: one packet
    })
    void bytesPerServiceInterval_decodesWMaxPacketSize(String wMaxPacketSize, UsbSpeed speed, int expected) {
        UsbEndpoint ep = new UsbEndpoint(UsbEndpointDescriptor.of(0x81, 0x05, Integer.decode(wMaxPacketSize), 1), null);
        assertThat(Endpoints.bytesPerServiceInterval(ep, speed)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Endpoints.SyncType.class)
    @SuppressWarnings("EnumOrdinal") // the constants are declared in the order of their bit values
    void syncType_readsBits3To2(Endpoints.SyncType type) {
        int attributes = 0x01 | type.ordinal() << 2;
        assertThat(Endpoints.SyncType.of(UsbEndpointDescriptor.of(0x81, attributes, 64, 1)))
                .isEqualTo(type);
    }

    @ParameterizedTest
    @EnumSource(Endpoints.UsageType.class)
    @SuppressWarnings("EnumOrdinal") // the constants are declared in the order of their bit values
    void usageType_readsBits5To4(Endpoints.UsageType type) {
        int attributes = 0x01 | type.ordinal() << 4;
        assertThat(Endpoints.UsageType.of(UsbEndpointDescriptor.of(0x81, attributes, 64, 1)))
                .isEqualTo(type);
    }

    @org.junit.jupiter.api.Test
    void superSpeedCompanion_isEmptyForMalformedExtendedBytes() {
        UsbEndpointDescriptor d = UsbEndpointDescriptor.of(0x81, 0x05, 1024, 1);
        assertThat(Endpoints.superSpeedCompanion(new UsbEndpoint(d, new byte[] {6, 0x30, 0})))
                .isEmpty();
        assertThat(Endpoints.superSpeedCompanion(new UsbEndpoint(d, new byte[] {5, 0x30, 0, 0, 0})))
                .isEmpty();
        assertThat(Endpoints.superSpeedPlusIsochCompanion(
                        new UsbEndpoint(d, new byte[] {6, 0x30, 0, (byte) 0x80, 0, 0, 8, 0x31, 0, 0, 0, 0, 0})))
                .isEmpty();
    }
}
