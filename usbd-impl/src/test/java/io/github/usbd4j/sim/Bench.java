package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A started virtual-clock controller plus helpers that play the runtime's part. */
final class Bench implements HostListener {
    final SimulatedHostController host;
    /** "attached LOC", "detached LOC", "completed EP STATUS" in the order they happened. */
    final List<String> events = new ArrayList<>();

    final List<BackendTransfer> completed = new ArrayList<>();
    final List<Long> completedAtFrame = new ArrayList<>();

    Bench(SimulatedHostController host) {
        this.host = host;
        host.start(this);
    }

    static Bench of(UsbSpeed speed) {
        return new Bench(SimulatedHostController.builder().speed(speed).build());
    }

    @Override
    public void deviceAttached(BackendDevice device) {
        events.add("attached " + device.location());
    }

    @Override
    public void deviceDetached(BackendDevice device) {
        events.add("detached " + device.location());
    }

    SimulatedDevice attach(DeviceModel model) throws BackendException {
        return open(host.attach(model));
    }

    SimulatedDevice attach(DeviceModel model, FaultPlan plan) throws BackendException {
        return open(host.attach(model, plan));
    }

    private static SimulatedDevice open(SimulatedDevice d) throws BackendException {
        d.open();
        return d;
    }

    BackendTransfer newTransfer() {
        return new BackendTransfer(t -> {
            completed.add(t);
            completedAtFrame.add(host.currentFrame());
            events.add(String.format("completed %02X %s", t.endpointAddress(), t.status()));
        });
    }

    /** Runs a control transfer to completion; returns it (data in its buffer from 0). */
    BackendTransfer control(SimulatedDevice d, UsbDeviceRequest setup, byte... out) throws BackendException {
        ByteBuffer buf = ByteBuffer.allocate(Math.max(setup.wLength(), out.length));
        buf.put(0, out);
        BackendTransfer t = newTransfer().control(0, setup.toBytes(), buf, 0, setup.wLength());
        d.submit(t);
        assertThat(host.runUntil(() -> completed.contains(t), 10)).isTrue();
        return t;
    }

    byte[] controlIn(SimulatedDevice d, int requestType, int request, int value, int index, int length)
            throws BackendException {
        BackendTransfer t = control(d, new UsbDeviceRequest(requestType, request, value, index, length));
        assertThat(t.status()).isEqualTo(PacketStatus.OK);
        byte[] b = new byte[t.actualLength()];
        t.buffer().get(0, b);
        return b;
    }

    PacketStatus controlOut(SimulatedDevice d, int requestType, int request, int value, int index)
            throws BackendException {
        return control(d, new UsbDeviceRequest(requestType, request, value, index, 0))
                .status();
    }

    void setInterface(SimulatedDevice d, int iface, int alt) throws BackendException {
        assertThat(controlOut(d, 0x01, 0x0B, alt, iface)).isEqualTo(PacketStatus.OK);
    }

    BackendTransfer iso(SimulatedDevice d, int ep, long startFrame, int period, ByteBuffer buf, int... lengths)
            throws BackendException {
        BackendTransfer t = newTransfer().isochronous(ep, buf, 0, startFrame, period, lengths, lengths.length);
        d.submit(t);
        return t;
    }

    BackendTransfer bulk(SimulatedDevice d, TransferType type, int ep, ByteBuffer buf, int length, boolean shortNotOk)
            throws BackendException {
        BackendTransfer t = newTransfer().bulk(type, ep, buf, 0, length, shortNotOk);
        d.submit(t);
        return t;
    }

    static int[] lengths(int packets, int length) {
        int[] l = new int[packets];
        Arrays.fill(l, length);
        return l;
    }

    static List<PacketStatus> statuses(BackendTransfer t) {
        List<PacketStatus> s = new ArrayList<>();
        for (int k = 0; k < t.packets(); k++) {
            s.add(t.packetStatus(k));
        }
        return s;
    }
}
