package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorTables.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parses the real descriptor sets of {@link DescriptorTables} and checks every CE record and helper. */
class RealDescriptorsTest {

    private static byte[] slice(int[][] table, int from, int to) {
        return Arrays.copyOfRange(bytes(table), from, to);
    }

    private static List<Integer> types(byte[] block) throws DescriptorException {
        return Descriptors.split(block).stream()
                .map(RawDescriptor::bDescriptorSubtype)
                .toList();
    }

    @Test
    void uac1Speaker_cutsClassSpecificBytesAsCeDoes() throws DescriptorException {
        UsbConfiguration c = Descriptors.parseConfiguration(bytes(DescriptorTables.SPEAKER_CONFIG));

        assertThat(c.descriptor().wTotalLength()).isEqualTo(110);
        assertThat(c.descriptor().bNumInterfaces()).isEqualTo(2);
        assertThat(c.descriptor().MaxPower()).isEqualTo(50);
        assertThat(c.extended()).isEmpty();
        assertThat(c.numInterfaces()).isEqualTo(3); // AC, AS alt 0, AS alt 1

        UsbInterface control = c.findInterface(0, 0);
        assertThat(control.descriptor().bInterfaceSubClass()).isEqualTo(1);
        assertThat(control.extended()).isEqualTo(slice(DescriptorTables.SPEAKER_CONFIG, 18, 58));
        assertThat(types(control.extended())).containsExactly(0x01, 0x02, 0x06, 0x03); // header, IT, FU, OT

        assertThat(c.findInterface(1, 0).endpoints()).isEmpty();
        assertThat(c.findInterface(1, 0).extended()).isEmpty();

        UsbInterface streaming = c.findInterface(1, 1);
        assertThat(types(streaming.extended())).containsExactly(0x01, 0x02); // AS_GENERAL, FORMAT_TYPE
        UsbEndpoint out = streaming.findEndpoint(0x01);
        UsbEndpointDescriptor d = out.descriptor();
        assertThat(d.bLength()).isEqualTo(9);
        assertThat(d.isIn()).isFalse();
        assertThat(d.isIsochronous()).isTrue();
        assertThat(d.wMaxPacketSize()).isEqualTo(192);
        assertThat(d.bRefresh()).isZero();
        assertThat(d.bSynchAddress()).isZero();
        assertThat(d.toBytes()).isEqualTo(slice(DescriptorTables.SPEAKER_CONFIG, 94, 103));
        assertThat(out.extended()).isEqualTo(slice(DescriptorTables.SPEAKER_CONFIG, 103, 110));
        assertThat(Descriptors.split(out.extended()))
                .singleElement()
                .satisfies(r -> assertThat(r.bDescriptorType()).isEqualTo(0x25));

        assertThat(Endpoints.SyncType.of(d)).isEqualTo(Endpoints.SyncType.ADAPTIVE);
        assertThat(Endpoints.UsageType.of(d)).isEqualTo(Endpoints.UsageType.DATA);
        assertThat(Endpoints.servicePeriod(d, UsbSpeed.FULL)).isEqualTo(1);
        assertThat(Endpoints.bytesPerServiceInterval(out, UsbSpeed.FULL)).isEqualTo(192);
        assertThat(Endpoints.maxPayloadPerFrame(out, UsbSpeed.FULL)).isEqualTo(192);
        assertThat(Endpoints.superSpeedCompanion(out)).isEmpty();
        assertThat(Descriptors.interfaceAssociations(c)).isEmpty();
    }

    @Test
    void uac1Speaker_buildsIntoDeviceWithStrings() throws DescriptorException {
        UsbDevice device = Descriptors.parseDevice(
                bytes(DescriptorTables.SPEAKER_DEVICE), List.of(bytes(DescriptorTables.SPEAKER_CONFIG)), 1);

        assertThat(device.descriptor().idVendor()).isEqualTo(0x0D8C);
        assertThat(device.descriptor().idProduct()).isEqualTo(0x0014);
        assertThat(device.descriptor().bcdUSB()).isEqualTo(0x0110);
        assertThat(device.descriptor().toBytes()).isEqualTo(bytes(DescriptorTables.SPEAKER_DEVICE));
        assertThat(device.configs()).hasSize(1);
        assertThat(device.activeConfig()).isSameAs(device.configs().get(0));
        assertThat(device.findInterface(1, 1).endpoints()).hasSize(1);

        assertThat(Descriptors.parseLanguageIds(bytes(DescriptorTables.LANGUAGE_IDS)))
                .containsExactly(0x0409);
        assertThat(Descriptors.parseString(bytes(DescriptorTables.PRODUCT_STRING))
                        .bString())
                .isEqualTo("Speaker");
        assertThat(Descriptors.parseString(bytes(DescriptorTables.PRODUCT_STRING))
                        .toBytes())
                .isEqualTo(bytes(DescriptorTables.PRODUCT_STRING));
    }

    @Test
    void uvcWebcam_findsIadAndHighBandwidthAlternateSettings() throws DescriptorException {
        UsbConfiguration c = Descriptors.parseConfiguration(bytes(DescriptorTables.WEBCAM_CONFIG));

        assertThat(c.extended()).isEqualTo(slice(DescriptorTables.WEBCAM_CONFIG, 9, 17)); // the IAD
        assertThat(Descriptors.interfaceAssociations(c))
                .containsExactly(new InterfaceAssociation(0, 2, 0x0E, 0x03, 0x00, 2));
        assertThat(Descriptors.interfaceAssociations(c).get(0).contains(1)).isTrue();
        assertThat(Descriptors.interfaceAssociations(c).get(0).contains(2)).isFalse();
        assertThat(c.numInterfaces()).isEqualTo(5);

        UsbInterface control = c.findInterface(0, 0);
        assertThat(control.extended()).hasSize(40); // = VC_HEADER wTotalLength
        UsbEndpoint status = control.findEndpoint(0x83);
        assertThat(status.extended()).isEqualTo(slice(DescriptorTables.WEBCAM_CONFIG, 73, 78));
        assertThat(Endpoints.servicePeriod(status.descriptor(), UsbSpeed.HIGH)).isEqualTo(128);
        assertThat(Endpoints.servicePeriod(status.descriptor(), UsbSpeed.FULL)).isEqualTo(8);
        assertThat(Endpoints.bytesPerServiceInterval(status, UsbSpeed.HIGH)).isEqualTo(16);
        assertThat(Endpoints.maxPayloadPerFrame(status, UsbSpeed.HIGH)).isEqualTo(16);

        assertThat(c.findInterface(1, 0).extended()).hasSize(61); // = VS_INPUT_HEADER wTotalLength
        assertThat(types(c.findInterface(1, 0).extended())).containsExactly(0x01, 0x06, 0x07, 0x0D);

        UsbEndpoint alt1 = c.findInterface(1, 1).findEndpoint(0x81);
        assertThat(alt1.descriptor().maxPacketPayload()).isEqualTo(800);
        assertThat(alt1.descriptor().transactionsPerMicroframe()).isEqualTo(2);
        assertThat(Endpoints.SyncType.of(alt1.descriptor())).isEqualTo(Endpoints.SyncType.ASYNCHRONOUS);
        assertThat(Endpoints.servicePeriod(alt1.descriptor(), UsbSpeed.HIGH)).isEqualTo(1);
        assertThat(Endpoints.bytesPerServiceInterval(alt1, UsbSpeed.HIGH)).isEqualTo(1600);
        assertThat(Endpoints.maxPayloadPerFrame(alt1, UsbSpeed.HIGH)).isEqualTo(8 * 1600);
        assertThat(alt1.extended()).isEmpty();

        UsbEndpoint alt2 = c.findInterface(1, 2).findEndpoint(0x81);
        assertThat(Endpoints.bytesPerServiceInterval(alt2, UsbSpeed.HIGH)).isEqualTo(3072);
        // the HS maximum, [§4](reference/usb-bus.html#s4)
        assertThat(Endpoints.maxPayloadPerFrame(alt2, UsbSpeed.HIGH)).isEqualTo(24576);

        UsbEndpoint alt3 = c.findInterface(1, 3).findEndpoint(0x81);
        assertThat(Endpoints.servicePeriod(alt3.descriptor(), UsbSpeed.HIGH)).isEqualTo(8);
        assertThat(Endpoints.bytesPerServiceInterval(alt3, UsbSpeed.HIGH)).isEqualTo(128);
        assertThat(Endpoints.maxPayloadPerFrame(alt3, UsbSpeed.HIGH)).isEqualTo(128);
        assertThat(Endpoints.servicePeriod(alt3.descriptor(), UsbSpeed.FULL)).isEqualTo(8);
    }

    @Test
    void superSpeedDevice_exposesCompanionsAndBytesPerInterval() throws DescriptorException {
        UsbDevice device = Descriptors.parseDevice(
                bytes(DescriptorTables.SS_DEVICE), List.of(bytes(DescriptorTables.SS_CONFIG)), 1);
        assertThat(device.descriptor().bMaxPacketSize0()).isEqualTo(9);
        UsbConfiguration c = device.activeConfig();
        assertThat(c.descriptor().bmAttributes()).isEqualTo(0xC0);

        UsbEndpoint bulkIn = c.findInterface(0, 0).findEndpoint(0x81);
        assertThat(bulkIn.extended()).isEqualTo(slice(DescriptorTables.SS_CONFIG, 25, 31));
        assertThat(Endpoints.superSpeedCompanion(bulkIn)).contains(new SuperSpeedEndpointCompanion(15, 0, 0));
        assertThat(Endpoints.superSpeedCompanion(bulkIn).orElseThrow().packetsPerBurst())
                .isEqualTo(16);
        assertThat(Endpoints.servicePeriod(bulkIn.descriptor(), UsbSpeed.SUPER)).isZero();
        assertThatThrownBy(() -> Endpoints.bytesPerServiceInterval(bulkIn, UsbSpeed.SUPER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x81 is not periodic");
        UsbEndpoint bulkOut = c.findInterface(0, 0).findEndpoint(0x02);
        assertThat(Endpoints.superSpeedCompanion(bulkOut).orElseThrow().maxStreams())
                .isEqualTo(4);

        UsbEndpoint iso = c.findInterface(1, 1).findEndpoint(0x83);
        SuperSpeedEndpointCompanion companion =
                Endpoints.superSpeedCompanion(iso).orElseThrow();
        assertThat(companion.mult()).isEqualTo(2);
        assertThat(companion.hasSspIsochCompanion()).isFalse();
        assertThat(Endpoints.superSpeedPlusIsochCompanion(iso)).isEmpty();
        assertThat(Endpoints.bytesPerServiceInterval(iso, UsbSpeed.SUPER)).isEqualTo(49152);
        assertThat(Endpoints.bytesPerServiceInterval(iso, UsbSpeed.SUPER_PLUS)).isEqualTo(49152);
        assertThat(Endpoints.maxPayloadPerFrame(iso, UsbSpeed.SUPER)).isEqualTo(8 * 49152);
        assertThat(Endpoints.bytesPerServiceInterval(iso, UsbSpeed.HIGH)).isEqualTo(1024); // as a 2.0 device

        UsbEndpoint ssp = c.findInterface(1, 2).findEndpoint(0x83);
        assertThat(ssp.extended()).isEqualTo(slice(DescriptorTables.SS_CONFIG, 91, 105));
        assertThat(Endpoints.superSpeedCompanion(ssp).orElseThrow().hasSspIsochCompanion())
                .isTrue();
        assertThat(Endpoints.superSpeedPlusIsochCompanion(ssp)).contains(new SuperSpeedPlusIsochCompanion(98304));
        assertThat(Endpoints.bytesPerServiceInterval(ssp, UsbSpeed.SUPER_PLUS)).isEqualTo(98304);
        assertThat(Endpoints.bytesPerServiceInterval(ssp, UsbSpeed.SUPER)).isEqualTo(1);
    }

    @Test
    void superSpeedBos_listsUsb20AndSuperSpeedCapabilities() throws DescriptorException {
        BosDescriptor bos = Descriptors.parseBos(bytes(DescriptorTables.SS_BOS));

        assertThat(bos.wTotalLength()).isEqualTo(42);
        assertThat(bos.capabilities())
                .extracting(DeviceCapability::bDevCapabilityType)
                .containsExactly(2, 3, 4);
        assertThat(bos.usb20Extension()).contains(new DeviceCapability.Usb20Extension(6));
        assertThat(bos.usb20Extension().orElseThrow().supportsLpm()).isTrue();
        DeviceCapability.SuperSpeedUsb ss = bos.superSpeedUsb().orElseThrow();
        assertThat(ss).isEqualTo(new DeviceCapability.SuperSpeedUsb(0, 0x0E, 1, 10, 0x07FF));
        assertThat(ss.supportsSuperSpeed()).isTrue();
        assertThat(bos.capabilities().get(2).data()).hasSize(17).startsWith(0x00, 0x00, 0x11);
    }

    @Test
    void configurationBuilder_reproducesTheRealTables() {
        byte[] speaker = ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0x01, 0x01, 0x00)
                .classSpecific(slice(DescriptorTables.SPEAKER_CONFIG, 18, 58))
                .iface(1, 0, 0x01, 0x02, 0x00)
                .iface(1, 1, 0x01, 0x02, 0x00)
                .classSpecific(slice(DescriptorTables.SPEAKER_CONFIG, 76, 94))
                .audioEndpoint(0x01, 0x09, 192, 1, 0, 0)
                .classSpecific(0x07, 0x25, 0x01, 0x01, 0, 0, 0)
                .build();
        assertThat(speaker).isEqualTo(bytes(DescriptorTables.SPEAKER_CONFIG));

        byte[] webcam = ConfigurationBuilder.configuration(1, 0x80, 250)
                .iad(0, 2, 0x0E, 0x03, 0x00, 2)
                .iface(0, 0, 0x0E, 0x01, 0x00, 2)
                .classSpecific(slice(DescriptorTables.WEBCAM_CONFIG, 26, 66))
                .endpoint(0x83, 0x03, 16, 8)
                .classSpecific(0x05, 0x25, 0x03, 16, 0)
                .iface(1, 0, 0x0E, 0x02, 0x00)
                .classSpecific(slice(DescriptorTables.WEBCAM_CONFIG, 87, 148))
                .iface(1, 1, 0x0E, 0x02, 0x00)
                .endpoint(0x81, 0x05, 0x0B20, 1)
                .iface(1, 2, 0x0E, 0x02, 0x00)
                .endpoint(0x81, 0x05, 0x1400, 1)
                .iface(1, 3, 0x0E, 0x02, 0x00)
                .endpoint(0x81, 0x05, 0x0080, 4)
                .build();
        assertThat(webcam).isEqualTo(bytes(DescriptorTables.WEBCAM_CONFIG));

        byte[] superSpeed = ConfigurationBuilder.configuration(1, 0xC0, 112)
                .iface(0, 0, 0xFF, 0, 0)
                .endpoint(0x81, 0x02, 1024, 0)
                .ssCompanion(15, 0, 0)
                .endpoint(0x02, 0x02, 1024, 0)
                .ssCompanion(3, 4, 0)
                .iface(1, 0, 0xFF, 0, 0)
                .iface(1, 1, 0xFF, 0, 0)
                .endpoint(0x83, 0x05, 1024, 1)
                .ssCompanion(15, 2, 49152)
                .iface(1, 2, 0xFF, 0, 0)
                .endpoint(0x83, 0x05, 1024, 1)
                .ssCompanion(15, 0x80, 1)
                .sspIsochCompanion(98304)
                .build();
        assertThat(superSpeed).isEqualTo(bytes(DescriptorTables.SS_CONFIG));
    }

    @Test
    void configurationBuilder_refusesInvalidConfigurations() {
        assertThatThrownBy(() -> ConfigurationBuilder.configuration(1, 0x80, 50).endpoint(0x81, 2, 64, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("before any interface");
        assertThatThrownBy(() -> ConfigurationBuilder.configuration(1, 0x80, 50)
                        .iface(0, 0, 0xFF, 0, 0)
                        .iface(0, 0, 0xFF, 0, 0)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("offset 20: duplicate interface 0 alternate setting 0");
        assertThatThrownBy(() -> ConfigurationBuilder.configuration(256, 0x80, 50))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigurationBuilder.configuration(1, 0x80, 50)
                        .iface(0, 0, 0xFF, 0, 0)
                        .ssCompanion(0, 0, 0)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not directly after an endpoint");
    }
}
