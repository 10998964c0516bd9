package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The info records of [§1.4](reference/ce-usbd.html#s1-4) ({@code USB_ENDPOINT}, {@code USB_INTERFACE},
 * {@code USB_CONFIGURATION}, {@code USB_DEVICE}): immutable {@code lpvExtended}, endpoint count,
 * alternate settings as separate entries, and CE's {@code FindInterface} on the active configuration.
 */
class InfoRecordsTest {

    private static UsbInterfaceDescriptor ifd(int number, int alt, int numEndpoints, int cls) {
        return new UsbInterfaceDescriptor(9, 4, number, alt, numEndpoints, cls, 0, 0, 0);
    }

    private static UsbEndpoint isoIn(int address) {
        return new UsbEndpoint(UsbEndpointDescriptor.of(address, 0x05, 192, 1), null);
    }

    private static UsbInterface iface(int number, int alt, UsbEndpoint... endpoints) {
        return new UsbInterface(ifd(number, alt, endpoints.length, 1), null, List.of(endpoints));
    }

    private static UsbConfiguration config(int value, UsbInterface... interfaces) {
        return new UsbConfiguration(
                new UsbConfigurationDescriptor(9, 2, 100, interfaces.length, value, 0, 0x80, 50),
                null,
                List.of(interfaces));
    }

    private static UsbDeviceDescriptor deviceDescriptor(int numConfigs) {
        return new UsbDeviceDescriptor(18, 1, 0x0200, 0, 0, 0, 64, 4617, 1, 0x0100, 0, 0, 0, numConfigs);
    }

    @Test
    void endpointExtended_isCopiedInAndOut() {
        byte[] in = {6, 0x30, 0, 0, 0, 0};
        UsbEndpoint e = new UsbEndpoint(UsbEndpointDescriptor.of(0x81, 0x01, 1024, 1), in);
        in[0] = 99;
        assertThat(e.extended()).containsExactly(6, 0x30, 0, 0, 0, 0);
        e.extended()[1] = 99;
        assertThat(e.extended()).containsExactly(6, 0x30, 0, 0, 0, 0);
        assertThat(e.extendedLength()).isEqualTo(6);
    }

    @Test
    void interfaceExtended_isCopiedInAndOut() {
        byte[] in = {3, 0x24, 1};
        UsbInterface i = new UsbInterface(ifd(0, 0, 0, 1), in, List.of());
        in[2] = 7;
        i.extended()[2] = 8;
        assertThat(i.extended()).containsExactly(3, 0x24, 1);
    }

    @Test
    void configurationExtended_isCopiedInAndOut() {
        byte[] in = {8, 0x0B, 0, 2, 1, 1, 0, 0};
        UsbConfiguration c =
                new UsbConfiguration(new UsbConfigurationDescriptor(9, 2, 17, 0, 1, 0, 0x80, 50), in, List.of());
        in[0] = 0;
        c.extended()[0] = 0;
        assertThat(c.extended()).containsExactly(8, 0x0B, 0, 2, 1, 1, 0, 0);
    }

    @Test
    void nullExtended_isEmptyAsCeNull() {
        assertThat(isoIn(0x81).extended()).isEmpty();
        assertThat(iface(0, 0).extended()).isEmpty();
        assertThat(config(1).extended()).isEmpty();
        assertThat(isoIn(0x81).extendedLength()).isZero();
    }

    @Test
    void infoRecords_areValuesOverExtendedBytes() {
        UsbEndpoint a = new UsbEndpoint(UsbEndpointDescriptor.of(0x81, 0x01, 64, 1), new byte[] {1, 2});
        UsbEndpoint b = new UsbEndpoint(UsbEndpointDescriptor.of(0x81, 0x01, 64, 1), new byte[] {1, 2});
        UsbEndpoint c = new UsbEndpoint(UsbEndpointDescriptor.of(0x81, 0x01, 64, 1), new byte[] {1, 3});
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
    }

    @Test
    void interfaceEndpoints_areCopiedAndUnmodifiable() {
        List<UsbEndpoint> in = new ArrayList<>(List.of(isoIn(0x81)));
        UsbInterface i = new UsbInterface(ifd(1, 1, 1, 1), null, in);
        in.add(isoIn(0x82));
        assertThat(i.endpoints()).hasSize(1);
        assertThatThrownBy(() -> i.endpoints().add(isoIn(0x83))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void usbInterface_rejectsWrongEndpointCount() {
        assertThatThrownBy(() -> new UsbInterface(ifd(1, 1, 2, 1), null, List.of(isoIn(0x81))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bNumEndpoints")
                .hasMessageContaining("2")
                .hasMessageContaining("1");
        assertThatThrownBy(() -> new UsbInterface(ifd(1, 0, 0, 1), null, List.of(isoIn(0x81))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usbInterface_findEndpointByFullAddress() {
        UsbInterface i = iface(1, 1, isoIn(0x81), isoIn(0x02));
        assertThat(i.findEndpoint(0x81)).isEqualTo(isoIn(0x81));
        assertThat(i.findEndpoint(0x02)).isEqualTo(isoIn(0x02));
        assertThat(i.findEndpoint(0x01)).as("direction bit counts").isNull();
        assertThat(i.findEndpoint(0x82)).isNull();
    }

    @Test
    void configuration_countsEveryAlternateSetting() {
        // [§1.4](reference/ce-usbd.html#s1-4): dwNumInterfaces counts every alternate setting
        UsbConfiguration c = config(1, iface(0, 0), iface(1, 0), iface(1, 1, isoIn(0x81)));
        assertThat(c.numInterfaces()).isEqualTo(3);
        assertThat(c.interfaces()).hasSize(3);
    }

    @Test
    void configurationFindInterface_matchesNumberAndAlternateSetting() {
        UsbInterface alt0 = iface(1, 0);
        UsbInterface alt1 = iface(1, 1, isoIn(0x81));
        UsbConfiguration c = config(1, iface(0, 0), alt0, alt1);
        assertThat(c.findInterface(1, 1)).isSameAs(alt1);
        assertThat(c.findInterface(1, 0)).isSameAs(alt0);
        assertThat(c.findInterface(1, 2)).isNull();
        assertThat(c.findInterface(2, 0)).isNull();
    }

    @Test
    void usbDevice_findInterfaceSearchesOnlyTheActiveConfiguration() {
        UsbInterface onlyInFirst = iface(5, 0);
        UsbConfiguration first = config(1, iface(0, 0), onlyInFirst);
        UsbInterface active0 = iface(0, 0);
        UsbInterface active1 = iface(0, 1, isoIn(0x81));
        UsbConfiguration second = config(2, active0, active1);
        UsbDevice d = new UsbDevice(deviceDescriptor(2), List.of(first, second), second);
        assertThat(d.findInterface(0, 1)).isSameAs(active1);
        assertThat(d.findInterface(0, 0)).isSameAs(active0);
        assertThat(d.findInterface(5, 0))
                .as("interface of an inactive configuration")
                .isNull();
        assertThat(d.activeConfig()).isSameAs(second);
    }

    @Test
    void usbDevice_rejectsActiveConfigNotInConfigs() {
        UsbConfiguration first = config(1, iface(0, 0));
        UsbConfiguration other = config(2, iface(0, 0));
        assertThatThrownBy(() -> new UsbDevice(deviceDescriptor(1), List.of(first), other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("activeConfig");
    }

    @Test
    void usbDevice_rejectsNulls() {
        UsbConfiguration first = config(1, iface(0, 0));
        assertThatThrownBy(() -> new UsbDevice(null, List.of(first), first)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new UsbDevice(deviceDescriptor(1), List.of(first), null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void usbDevice_configsAreCopiedAndUnmodifiable() {
        UsbConfiguration first = config(1, iface(0, 0));
        List<UsbConfiguration> in = new ArrayList<>(List.of(first));
        UsbDevice d = new UsbDevice(deviceDescriptor(1), in, first);
        in.clear();
        assertThat(d.configs()).containsExactly(first);
        assertThatThrownBy(() -> d.configs().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
