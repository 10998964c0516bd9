package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.sim.SimulatedHostController;
import java.io.IOException;
import java.lang.management.ManagementFactory;

/**
 * What a well-behaved USB/IP client does after an attack: import the loopback device (bus id 1-1) and
 * stream through it, bulk and isochronous, byte-exact. The bus runs on the virtual clock: waiting for a
 * reply advances it.
 */
final class LegitimateClient {
    private static final byte[] SET_CONFIGURATION_1 = {0x00, 9, 1, 0, 0, 0, 0, 0};
    private static final byte[] RESET = {0x40, 0x01, 0, 0, 0, 0, 0, 0}; // LoopbackDevice.REQUEST_RESET
    private static final byte[] SET_INTERFACE_0_ALT_1 = {0x01, 11, 1, 0, 0, 0, 0, 0};

    private LegitimateClient() {}

    /** Connects, imports 1-1 and streams; fails the test if anything is refused or wrong. */
    static void importAndStream(SimulatedHostController sim, int port) throws IOException, InterruptedException {
        try (UsbIpTestClient c = UsbIpTestClient.connect(port)) {
            importAndStream(sim, c);
        }
    }

    /** Imports 1-1 on this connection and streams. */
    static void importAndStream(SimulatedHostController sim, UsbIpTestClient c)
            throws IOException, InterruptedException {
        UsbIpTestClient.Device d = c.importDevice("1-1");
        assertThat(d).as("the import of 1-1 is accepted").isNotNull();
        int devid = d.devid();
        // as a kernel does when it enumerates: whatever configuration an earlier peer left is replaced
        c.control(100, devid, SET_CONFIGURATION_1, new byte[0]);
        assertThat(awaitReply(sim, c).status()).isZero();
        c.control(1, devid, RESET, new byte[0]); // whatever an earlier peer left in the loopback queues
        assertThat(awaitReply(sim, c).status()).isZero();

        byte[] bulk = pattern(200, 3);
        c.submit(2, devid, 0, 2, 0, bulk.length, 0, 0, null, bulk, null);
        UsbIpTestClient.Reply out = awaitReply(sim, c);
        assertThat(out.status()).isZero();
        assertThat(out.actualLength()).isEqualTo(bulk.length);
        c.submit(3, devid, 1, 2, 0, 512, 0, 0, null, null, null);
        UsbIpTestClient.Reply in = awaitReply(sim, c);
        assertThat(in.status()).isZero();
        assertThat(in.data()).isEqualTo(bulk);

        c.control(4, devid, SET_INTERFACE_0_ALT_1, new byte[0]);
        assertThat(awaitReply(sim, c).status()).isZero();
        int[] lengths = {64, 0, 128, 37, 512};
        byte[] iso = pattern(64 + 128 + 37 + 512, 11);
        c.iso(5, devid, 1, false, lengths, iso);
        UsbIpTestClient.Reply isoOut = awaitReply(sim, c);
        assertThat(isoOut.status()).isZero();
        assertThat(isoOut.errorCount()).isZero();
        c.iso(6, devid, 1, true, new int[] {512, 512, 512, 512, 512}, null);
        UsbIpTestClient.Reply isoIn = awaitReply(sim, c);
        assertThat(isoIn.status()).isZero();
        assertThat(isoIn.errorCount()).isZero();
        assertThat(isoIn.data()).isEqualTo(iso);
    }

    /** Advances the virtual bus a frame at a time until a reply arrives (at most 5 s of bus time). */
    static UsbIpTestClient.Reply awaitReply(SimulatedHostController sim, UsbIpTestClient c)
            throws InterruptedException {
        for (int i = 0; i < 5000; i++) {
            UsbIpTestClient.Reply r = c.poll(1);
            if (r != null) {
                assertThat(r.closed()).as("the server closed the connection").isFalse();
                return r;
            }
            sim.advanceFrames(1);
        }
        throw new AssertionError("no reply");
    }

    /** Used heap after a full collection, in bytes. */
    static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * seed + 7);
        }
        return b;
    }
}
