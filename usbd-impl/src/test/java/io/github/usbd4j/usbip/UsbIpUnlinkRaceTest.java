package io.github.usbd4j.usbip;

import static io.github.usbd4j.usbip.UsbIpTestClient.GET_STATUS;
import static io.github.usbd4j.usbip.UsbIpTestClient.setup;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded races between completions and USBIP_CMD_UNLINK, checked the way Linux's vhci-hcd checks the replies
 * ([libraries §2](reference/linux-peers.html#p2-usbip)): a RET_SUBMIT must answer a URB that is still outstanding, since vhci gives
 * a URB back on its RET_SUBMIT or on the RET_UNLINK of its unlink, whichever comes first, and treats a RET_SUBMIT
 * for a URB it no longer has as a broken connection; and every URB and every unlink gets its answer. vhci-hcd
 * may send a URB's CMD_UNLINK before its CMD_SUBMIT (both queued in one round of its sender, which sends
 * submissions first but only those queued when the round began), so the client here does that too.
 */
class UsbIpUnlinkRaceTest {

    @Test
    void everyUrbIsAnsweredOnce_neverAfterItsUnlinkWasAnswered() throws Exception {
        long seconds = Long.getLong("usbd4j.usbip.unlinkRace.seconds", 3);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long urbs = 0;
        long unlinks = 0;
        long seed = 1;
        do {
            long[] counts = runSeed(seed);
            urbs += counts[0];
            unlinks += counts[1];
            seed++;
        } while (System.nanoTime() < deadline);
        System.out.printf("usbip unlink races: %d seeds, %d URBs, %d unlinks%n", seed - 1, urbs, unlinks);
    }

    private static long[] runSeed(long seed) throws Exception {
        SimulatedHostController sim = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build();
        sim.start(NoRuntime.LISTENER);
        SimulatedDevice loopback = sim.attach(LoopbackDevice.fullSpeed());
        UsbIpServer server =
                UsbIpServer.builder(sim).device("1-1", loopback).port(0).build().start();
        SplittableRandom r = new SplittableRandom(seed);
        Set<Integer> outstanding = new HashSet<>();
        Map<Integer, Integer> unlinkTarget = new HashMap<>();
        List<String> violations = new ArrayList<>();
        long urbs = 0;
        long unlinkCount = 0;
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            int seq = 1;
            c.control(seq++, devid, setup(0x01, 11, 1, 0, 0), new byte[0]); // SET_INTERFACE 0 alt 1
            UsbIpTestClient.Reply first = c.poll(5000);
            assertThat(first).isNotNull();
            for (int op = 0; op < 400; op++) {
                int what = r.nextInt(10);
                if (what < 5 && outstanding.size() < 24) {
                    int s = seq++;
                    switch (r.nextInt(4)) {
                        case 0 -> c.iso(s, devid, 1, true, lengths(r), null);
                        case 1 -> {
                            int[] l = lengths(r);
                            int total = 0;
                            for (int x : l) {
                                total += x;
                            }
                            c.iso(s, devid, 1, false, l, new byte[total]);
                        }
                        case 2 -> c.submit(s, devid, 1, 2, 0, 64, 0, 0, null, null, null); // bulk IN: NAKs
                        default -> c.control(s, devid, GET_STATUS, null);
                    }
                    outstanding.add(s);
                    urbs++;
                } else if (what == 5 && outstanding.size() < 24) {
                    // vhci-hcd's order for a URB queued and unlinked in one round of its sender: unlink first
                    int target = seq;
                    int s = seq + 1;
                    seq += 2;
                    outstanding.add(target);
                    unlinkTarget.put(s, target);
                    c.unlink(s, devid, target);
                    c.iso(target, devid, 1, true, lengths(r), null);
                    urbs++;
                    unlinkCount++;
                } else if (what < 8 && !outstanding.isEmpty()) {
                    Integer[] o = outstanding.toArray(new Integer[0]);
                    int target = o[r.nextInt(o.length)];
                    if (!unlinkTarget.containsValue(target)) {
                        int s = seq++;
                        unlinkTarget.put(s, target);
                        c.unlink(s, devid, target);
                        unlinkCount++;
                    }
                } else {
                    Thread.sleep(r.nextInt(3));
                }
                drain(c, outstanding, unlinkTarget, violations, 0);
            }
            // unlink what is left (the bulk INs never complete), then every answer must come
            for (Integer target : new ArrayList<>(outstanding)) {
                if (!unlinkTarget.containsValue(target)) {
                    int s = seq++;
                    unlinkTarget.put(s, target);
                    c.unlink(s, devid, target);
                    unlinkCount++;
                }
            }
            long end = System.nanoTime() + 10_000_000_000L;
            while ((!outstanding.isEmpty() || !unlinkTarget.isEmpty()) && System.nanoTime() < end) {
                drain(c, outstanding, unlinkTarget, violations, 50);
            }
            if (!outstanding.isEmpty() || !unlinkTarget.isEmpty()) {
                violations.add("unanswered: URBs " + outstanding + ", unlinks " + unlinkTarget.keySet());
            }
        } finally {
            server.close();
            sim.close();
        }
        assertThat(violations).as("seed %d", seed).isEmpty();
        return new long[] {urbs, unlinkCount};
    }

    private static int[] lengths(SplittableRandom r) {
        int[] l = new int[1 + r.nextInt(8)];
        for (int k = 0; k < l.length; k++) {
            l[k] = 1 + r.nextInt(64);
        }
        return l;
    }

    /** Reads what has arrived, as vhci-hcd would take it. */
    private static void drain(
            UsbIpTestClient c,
            Set<Integer> outstanding,
            Map<Integer, Integer> unlinkTarget,
            List<String> violations,
            long waitMillis)
            throws InterruptedException {
        UsbIpTestClient.Reply reply;
        while ((reply = c.poll(waitMillis)) != null) {
            if (reply.closed()) {
                violations.add("the server closed the connection");
                outstanding.clear();
                unlinkTarget.clear();
                return;
            }
            if (reply.command() == 3) {
                if (!outstanding.remove(reply.seqnum())) {
                    violations.add("RET_SUBMIT for seqnum " + reply.seqnum() + ", which is no longer outstanding");
                }
            } else {
                Integer target = unlinkTarget.remove(reply.seqnum());
                if (target == null) {
                    violations.add("RET_UNLINK for unknown unlink " + reply.seqnum());
                } else {
                    outstanding.remove(target); // given back now, unless its RET_SUBMIT came first
                }
            }
            waitMillis = 0;
        }
    }
}
