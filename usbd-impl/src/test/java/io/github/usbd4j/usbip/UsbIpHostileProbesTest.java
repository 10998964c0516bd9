package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile or broken peers and devices, probed by cause: a device whose descriptors disagree about their
 * own counts, a peer that floods unlinks of unknown, future and duplicate seqnums without reading, a
 * peer that asks for a device another peer holds. For each, the server answers per the protocol or
 * drops just that peer, the others keep working and memory stays bounded (the limits table on
 * usbip.html). Loopback only; every loop is bounded in count.
 */
class UsbIpHostileProbesTest {
    private final ManualTicker ticker = new ManualTicker();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private SimulatedHostController sim;
    private SimulatedDevice loopback;

    @BeforeEach
    void setUp() {
        sim = SimulatedHostController.builder().build();
        sim.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {}

            @Override
            public void deviceDetached(BackendDevice device) {}
        });
        loopback = sim.attach(LoopbackDevice.fullSpeed());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        sim.close();
    }

    private UsbIpServer started(UsbIpServer.Builder b) throws IOException {
        UsbIpServer s = b.port(0).ticker(ticker).build().start();
        toClose.add(s);
        return s;
    }

    private UsbIpTestClient client(UsbIpServer server) throws IOException {
        UsbIpTestClient c = UsbIpTestClient.connect(server.port());
        toClose.add(c);
        return c;
    }

    /** A device with one configuration whose {@code bNumInterfaces} says {@code declared} over {@code actual} interfaces. */
    private static final class MiscountedInterfaces extends DeviceModel {
        private final int declared;
        private final int actual;

        MiscountedInterfaces(int declared, int actual) {
            this.declared = declared;
            this.actual = actual;
        }

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0200, 0, 0, 0, 64, 0x1209, 0x7777, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            int total = 9 + 9 * actual;
            byte[] c = new byte[total];
            byte[] head = {9, 2, (byte) total, 0, (byte) declared, 1, 0, (byte) 0x80, 50};
            System.arraycopy(head, 0, c, 0, 9);
            for (int i = 0; i < actual; i++) {
                byte[] iface = {9, 4, (byte) i, 0, 0, (byte) 0xFF, (byte) (0x10 + i), 0, 0};
                System.arraycopy(iface, 0, c, 9 + 9 * i, 9);
            }
            return List.of(c);
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return null;
        }
    }

    /**
     * OP_REP_DEVLIST gives each device's {@code bNumInterfaces} and then that many interface records, so
     * the two must agree or the client reads the rest of the list out of step ("usbip list" then shows
     * garbage for every later device). A device may miscount its interfaces (a captured device replayed,
     * a quirky model): the record counts the interfaces listed.
     */
    @ParameterizedTest(name = "bNumInterfaces {0} over {1} interfaces")
    @CsvSource({"3, 1", "1, 2", "0, 2"})
    void aDeviceThatMiscountsItsInterfacesDoesNotPutTheDeviceListOutOfStep(int declared, int actual) throws Exception {
        SimulatedDevice odd = sim.attach(new MiscountedInterfaces(declared, actual));
        UsbIpServer server = started(UsbIpServer.builder(sim).device("1-1", odd).device("1-2", loopback));
        UsbIpTestClient c = client(server);
        List<UsbIpTestClient.Device> list = c.devlist();
        assertThat(list).extracting(UsbIpTestClient.Device::busId).containsExactly("1-1", "1-2");
        assertThat(list.get(0).numInterfaces()).isEqualTo(actual);
        assertThat(list.get(0).interfaces()).hasSize(actual);
        assertThat(list.get(0).interfaces().get(actual - 1)[1])
                .as("bInterfaceSubClass of the last")
                .isEqualTo(0x10 + actual - 1);
        assertThat(list.get(1).product()).isEqualTo(LoopbackDevice.PRODUCT_ID);
        assertThat(list.get(1).interfaces()).hasSize(3);
        assertThat(c.devlist()).as("still in step for a second request").hasSize(2);
        UsbIpTestClient.Device d = c.importDevice("1-1");
        assertThat(d).isNotNull();
        assertThat(d.numInterfaces()).as("the import's record agrees").isEqualTo(actual);
    }
}
