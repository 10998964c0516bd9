package io.github.usbd4j.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transfer state machine: one state word, one transition method, and every transition that the
 * lifecycle does not allow rejected loudly (a second completion, a completion before submission, a second
 * callback); stale generations change nothing; pins keep a transfer out of its pool; every transition wakes
 * waiters.
 */
class TransferStateMachineTest {
    private SimulatedHostController sim;
    private Engine engine;
    private EngineDevice device;
    private final List<Runnable> callbacks = new ArrayList<>();
    private final AtomicInteger callbackRuns = new AtomicInteger();
    private final TransferOwner counting = new TransferOwner() {
        @Override
        public void callback(Transfer t) {
            callbackRuns.incrementAndGet();
        }
    };

    @BeforeEach
    void start() {
        sim = SimulatedHostController.builder().build();
        engine = new Engine(sim, callbacks::add, Runnable::run, 6);
        engine.start(new DeviceLifecycle() {
            @Override
            public EngineDevice newDevice(Engine e, BackendDevice backend, UsbDevice info) {
                return new EngineDevice(e, backend, info);
            }

            @Override
            public void attached(EngineDevice d) {
                device = d;
            }

            @Override
            public void detached(EngineDevice d) {}
        });
        sim.attach(LoopbackDevice.fullSpeed());
        assertThat(device).isNotNull();
    }

    @AfterEach
    void stop() {
        callbacks.forEach(Runnable::run);
        engine.close();
    }

    /** GET_DESCRIPTOR(device) on endpoint 0, prepared and begun. */
    private Transfer getDescriptor(boolean withCallback) {
        Transfer t = device.defaultPipe().acquire();
        t.begin(counting, withCallback);
        t.backend().control(0, new UsbDeviceRequest(0x80, 6, 0x0100, 0, 18).toBytes(), ByteBuffer.allocate(18), 0, 18);
        return t;
    }

    /** A bulk IN on 0x82, which the loopback device NAKs while it has no data: it stays pending. */
    private Transfer pendingBulkIn(EnginePipe p) {
        Transfer t = p.acquire();
        t.begin(counting, true);
        t.backend().bulk(TransferType.BULK, 0x82, ByteBuffer.allocate(64), 0, 64, false);
        assertThat(engine.submit(t)).isEqualTo(Engine.Submission.ACCEPTED);
        sim.advanceFrames(2);
        assertThat(t.isInFlight(t.generation())).isTrue();
        return t;
    }

    private EnginePipe bulkInPipe() {
        return engine.openPipe(device, device.info().findInterface(1, 0).findEndpoint(0x82));
    }

    @Test
    void completingTwice_isRejected() {
        Transfer t = getDescriptor(false);
        int gen = t.generation();
        assertThat(engine.submit(t)).isEqualTo(Engine.Submission.ACCEPTED);
        sim.advanceFrames(2);
        assertThat(t.isComplete(gen)).isTrue();
        assertThatIllegalStateException()
                .isThrownBy(() -> t.completed(t.backend()))
                .withMessageContaining("COMPLETE")
                .withMessageContaining("DONE");
        assertThatIllegalStateException().isThrownBy(() -> t.backend().complete());
        assertThat(engine.close(t, gen, 0)).isTrue();
    }

    @Test
    void completingBeforeSubmission_isRejected() {
        Transfer t = getDescriptor(false);
        assertThatIllegalStateException()
                .isThrownBy(() -> t.completed(t.backend()))
                .withMessageContaining("ISSUING");
        engine.giveBack(t);
        assertThatIllegalStateException()
                .isThrownBy(() -> t.completed(t.backend()))
                .withMessageContaining("FREE");
    }

    @Test
    void runningTheCallbackTwice_isRejected() {
        Transfer t = getDescriptor(true);
        int gen = t.generation();
        engine.submit(t);
        sim.advanceFrames(2);
        assertThat(callbacks).hasSize(1);
        callbacks.remove(0).run();
        assertThat(callbackRuns).hasValue(1);
        assertThatIllegalStateException().isThrownBy(t::runCallback).withMessageContaining("CALLBACK_START");
        assertThat(callbackRuns).hasValue(1);
        assertThat(engine.close(t, gen, 0)).isTrue();
    }

    @Test
    void aSecondClose_andAnyEventForAnOldGeneration_changeNothing() {
        Transfer t = getDescriptor(false);
        int gen = t.generation();
        engine.submit(t);
        sim.advanceFrames(2);
        assertThat(engine.cancel(t, gen))
                .as("cancel of a complete transfer: nothing to do, but valid")
                .isTrue();
        assertThat(engine.close(t, gen, 0)).isTrue();
        assertThat(engine.close(t, gen, 0)).as("second close").isFalse();
        assertThat(engine.cancel(t, gen)).isFalse();

        Transfer again = getDescriptor(false); // the pool hands the same object out again
        assertThat(again).isSameAs(t);
        assertThat(again.generation()).isNotEqualTo(gen);
        assertThat(t.fire(Transfer.Event.CLOSE, gen)).isEqualTo(Transfer.STALE);
        assertThat(t.fire(Transfer.Event.CANCEL, gen)).isEqualTo(Transfer.STALE);
        assertThat(t.isOpen(gen)).isFalse();
        engine.giveBack(again);
    }

    @Test
    void aPinnedTransfer_staysOutOfItsPool_untilUnpinned() {
        EnginePipe p = bulkInPipe();
        Transfer t = pendingBulkIn(p);
        int gen = t.generation();
        assertThat(t.fire(Transfer.Event.PIN, gen)).isPositive();
        assertThat(engine.close(t, gen, 0)).isTrue(); // cancelled, completes; its callback is queued
        callbacks.remove(0).run();
        assertThat(callbackRuns).hasValue(1);
        Transfer other = p.acquire();
        assertThat(other).as("retired, not free, while pinned").isNotSameAs(t);
        engine.giveBack(other);
        t.fire(Transfer.Event.UNPIN, Transfer.ANY);
        assertThat(p.acquire()).as("free after the last unpin").isSameAs(t);
    }

    @Test
    void closeOfAPendingTransfer_waitsForCompletion_notForItsCallback() {
        EnginePipe p = bulkInPipe();
        Transfer t = pendingBulkIn(p);
        int gen = t.generation();
        assertThat(engine.close(t, gen, Engine.CLOSE_WAIT_MILLIS)).isTrue();
        assertThat(t.isInFlight(gen)).isFalse();
        assertThat(callbackRuns).as("the callback is queued, not run").hasValue(0);
        assertThat(t.isOpen(gen)).isFalse();
        callbacks.remove(0).run();
        assertThat(callbackRuns).hasValue(1);
        assertThat(t.generation() == gen && t.isSettled(gen)).isTrue();
    }

    /**
     * The unplug stall: a waiter on a transfer whose submission is then refused must wake at once, with the
     * transfer complete. Its wait has no end the test could outlast (an hour), so only the refusal can end it.
     */
    @Test
    void aWaiterWakes_whenTheTransferItWaitsForIsRefused() throws Exception {
        Transfer t = getDescriptor(false);
        int gen = t.generation();
        t.fire(Transfer.Event.SUBMIT, Transfer.ANY); // as the engine does before the backend answers
        AtomicReference<Boolean> completed = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                completed.set(t.awaitCompletion(gen, TimeUnit.HOURS.toNanos(1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.setDaemon(true);
        waiter.start();
        while (waiter.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        t.fire(Transfer.Event.REFUSE, Transfer.ANY);
        waiter.join(TimeUnit.SECONDS.toMillis(30)); // a bound against a hang, not a measure
        assertThat(waiter.isAlive()).as("the waiter woke at the refusal").isFalse();
        assertThat(completed.get()).as("the wait's answer: complete").isTrue();
    }
}
