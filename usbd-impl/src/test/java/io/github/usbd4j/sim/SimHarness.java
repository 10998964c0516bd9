package io.github.usbd4j.sim;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.HostController;
import java.util.function.Function;

/** The backend contract harness on the simulator, in virtual time. */
public class SimHarness implements BackendHarness {
    private SimulatedHostController sim;
    private Function<HostController, ? extends HostController> wrapper = Function.identity();
    private FaultPlan faults = FaultPlan.NONE;
    private long startFrame;

    /** Wraps each new backend, e.g. in a {@code RecordingBackend}. */
    public SimHarness recording(Function<HostController, ? extends HostController> wrap) {
        this.wrapper = wrap;
        return this;
    }

    /** Plugs the loopback device with these faults. */
    public SimHarness faults(FaultPlan plan) {
        this.faults = plan;
        return this;
    }

    /** Starts the bus at this frame (e.g. near 2^32 to exercise the wrap). */
    public SimHarness startFrame(long frame) {
        this.startFrame = frame;
        return this;
    }

    /** The simulator made last. */
    public SimulatedHostController sim() {
        return sim;
    }

    @Override
    public HostController newBackend(UsbSpeed speed) {
        sim = SimulatedHostController.builder()
                .speed(speed)
                .seed(42)
                .startFrame(startFrame)
                .build();
        return wrapper.apply(sim);
    }

    @Override
    public Object plugLoopback() {
        return sim.attach(
                sim.speed() == UsbSpeed.HIGH ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed(), faults);
    }

    @Override
    public void unplug(Object device) {
        sim.detach((SimulatedDevice) device);
    }

    @Override
    public void runFrames(long frames) {
        sim.advanceFrames(frames);
    }

    /** Advances to the start of the next frame, so that frame arithmetic in a test is exact. */
    public void alignToFrame() {
        long m = sim.currentMicroframe() % 8;
        if (m != 0) {
            sim.advanceMicroframes(8 - m);
        }
    }

    @Override
    public boolean isVirtual() {
        return true;
    }

    @Override
    public void close() {}
}
