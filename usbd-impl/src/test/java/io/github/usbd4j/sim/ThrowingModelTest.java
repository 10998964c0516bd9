package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.DEVICE_NOT_RESPONDING;
import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * A device model is code a user writes, and it may throw. The bus takes that as a device that stopped
 * answering: the packet or request completes with {@code DEVICE_NOT_RESPONDING}, every other packet runs,
 * the transfer completes, and the exception never reaches the thread that advances the bus (on a virtual
 * clock, the driver's own thread).
 */
class ThrowingModelTest {

    /** The probe device, except that its handlers and its control requests throw when told to. */
    private static final class Faulty extends ProbeDevice {
        long throwAtFrame = -1;
        boolean controlThrows;

        Faulty() {
            super(UsbSpeed.FULL, 64, 1, 1);
        }

        @Override
        public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
            if (controlThrows) {
                throw new IllegalStateException("model bug in control");
            }
            return super.control(setup, dataOut);
        }

        @Override
        public EndpointHandler endpoint(int address) {
            EndpointHandler inner = super.endpoint(address);
            return new EndpointHandler() {
                @Override
                public void out(long frame, int microframe, ByteBuffer data) {
                    if (frame == throwAtFrame) {
                        throw new IllegalStateException("model bug in out");
                    }
                    inner.out(frame, microframe, data);
                }

                @Override
                public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                    if (frame == throwAtFrame || throwAtFrame == Long.MAX_VALUE) {
                        throw new IllegalStateException("model bug in in");
                    }
                    return inner.in(frame, microframe, dest, maxLength);
                }
            };
        }
    }

    @Test
    void isochronousPacketsOfAThrowingHandler_completeNotResponding_theOthersRun() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        Faulty model = new Faulty();
        SimulatedDevice d = b.attach(model);
        b.setInterface(d, 0, 1);
        model.throwAtFrame = 1002;
        BackendTransfer in = b.iso(d, 0x81, 1000, 1, ByteBuffer.allocate(5 * 8), Bench.lengths(5, 8));
        BackendTransfer out = b.iso(d, 0x01, 1000, 1, ByteBuffer.allocate(5 * 8), Bench.lengths(5, 8));
        assertThatCode(() -> b.host.advanceTo(1010)).doesNotThrowAnyException();
        assertThat(b.completed).contains(in, out);
        assertThat(Bench.statuses(in)).containsExactly(OK, OK, DEVICE_NOT_RESPONDING, OK, OK);
        assertThat(Bench.statuses(out)).containsExactly(OK, OK, DEVICE_NOT_RESPONDING, OK, OK);
        assertThat(in.packetActual(2)).isZero();
        assertThat(out.packetActual(2)).isZero();
        assertThat(d.modelFailures()).isEqualTo(2);
    }

    @Test
    void anInterruptTransferOfAThrowingHandler_completesNotResponding() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        Faulty model = new Faulty();
        SimulatedDevice d = b.attach(model);
        model.throwAtFrame = Long.MAX_VALUE;
        BackendTransfer t = b.bulk(d, TransferType.INTERRUPT, 0x83, ByteBuffer.allocate(8), 8, false);
        assertThatCode(() -> b.host.runUntil(() -> b.completed.contains(t), 20)).doesNotThrowAnyException();
        assertThat(b.completed).contains(t);
        assertThat(t.status()).isEqualTo(DEVICE_NOT_RESPONDING);
        assertThat(t.actualLength()).isZero();
    }

    @Test
    void aControlRequestTheModelThrowsOn_completesNotResponding_andTheDeviceStillAnswersOthers()
            throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        Faulty model = new Faulty();
        SimulatedDevice d = b.attach(model);
        model.controlThrows = true;
        PacketStatus vendor = b.controlOut(d, 0x40, 0x01, 0, 0);
        assertThat(vendor).isEqualTo(DEVICE_NOT_RESPONDING);
        model.controlThrows = false;
        assertThat(b.controlIn(d, 0x80, 0x06, 0x0100, 0, 18)).hasSize(18); // GET_DESCRIPTOR(DEVICE)
        assertThat(d.modelFailures()).isEqualTo(1);
    }
}
