package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.host.Usbd;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** What the {@code usbd} commands need from a bus: the runtime, and a way to let bus time pass. */
public interface ToolBus extends AutoCloseable {

    /** The runtime. */
    Usbd usbd();

    /**
     * Registers a driver (its {@code USBInstallDriver} runs); devices present are offered to it.
     *
     * @param id the unique driver ID
     * @param settings what it matches
     * @param driver the driver
     * @return this
     */
    default ToolBus register(String id, UsbDriverSettings settings, UsbClientDriver driver) {
        usbd().registerDriver(id, settings, driver);
        return this;
    }

    /**
     * Lets the bus run until {@code done} or {@code maxFrames} 1 ms frames passed: on a virtual clock by
     * running it, on a real one by waiting.
     *
     * @return {@code done} at the end
     */
    boolean runUntil(BooleanSupplier done, long maxFrames);

    /**
     * Lets the bus run until {@code event} completes or {@code maxFrames} 1 ms frames passed: on a
     * virtual clock by running it, on a real one by waiting on the event.
     *
     * @return whether the event completed
     */
    default boolean await(CompletableFuture<?> event, long maxFrames) {
        return runUntil(event::isDone, maxFrames);
    }

    /** The current bus frame. */
    long frame();

    /** Detaches everything, uninstalls the drivers, stops the bus. */
    @Override
    void close();
}
