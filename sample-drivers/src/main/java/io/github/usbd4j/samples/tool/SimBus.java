package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.util.function.BooleanSupplier;

/**
 * The {@code sim} backend of the tool: a simulated host controller on a virtual clock (deterministic; as
 * fast as the machine runs) and a {@link Usbd} runtime over it. The samples' tests use it too.
 */
public final class SimBus implements ToolBus {
    private final SimulatedHostController sim;
    private final Usbd usbd;

    /**
     * @param speed the bus speed (full-speed devices work on a high-speed bus)
     * @param seed the fault-injection seed
     */
    public SimBus(UsbSpeed speed, long seed) {
        this(speed, seed, null);
    }

    /**
     * @param speed the bus speed (full-speed devices work on a high-speed bus)
     * @param seed the fault-injection seed
     * @param capture where the runtime captures every transfer, or {@code null}
     */
    public SimBus(UsbSpeed speed, long seed, CaptureTap capture) {
        sim = SimulatedHostController.builder()
                .speed(speed)
                .clockMode(SimulatedHostController.ClockMode.VIRTUAL)
                .seed(seed)
                .build();
        Usbd.Builder b = Usbd.builder().backend(sim);
        if (capture != null) {
            b.capture(capture);
        }
        usbd = b.build();
    }

    /** The simulator. */
    public SimulatedHostController sim() {
        return sim;
    }

    /** The runtime. */
    @Override
    public Usbd usbd() {
        return usbd;
    }

    /** Registers a driver (its {@code USBInstallDriver} runs). */
    @Override
    public SimBus register(String id, UsbDriverSettings settings, UsbClientDriver driver) {
        usbd.registerDriver(id, settings, driver);
        return this;
    }

    /** Plugs a device in; drivers are offered it at once. */
    public SimulatedDevice attach(DeviceModel model) {
        return sim.attach(model);
    }

    /** Plugs a device in with faults to inject. */
    public SimulatedDevice attach(DeviceModel model, FaultPlan faults) {
        return sim.attach(model, faults);
    }

    /** Unplugs a device. */
    public void detach(SimulatedDevice device) {
        sim.detach(device);
    }

    /** Runs the bus until {@code done} or {@code maxFrames} frames passed; returns {@code done}. */
    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        return sim.runUntil(done, maxFrames);
    }

    /** Runs the bus for {@code frames} frames. */
    public void run(long frames) {
        sim.advanceFrames(frames);
    }

    /** The current bus frame. */
    @Override
    public long frame() {
        return sim.currentFrame();
    }

    /** Detaches everything, uninstalls the drivers, stops the bus. */
    @Override
    public void close() {
        usbd.close();
    }
}
