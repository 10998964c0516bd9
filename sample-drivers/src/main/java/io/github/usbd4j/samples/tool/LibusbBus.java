package io.github.usbd4j.samples.tool;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The {@code libusb} backend of the tool: real devices through usb4java, limited to one VID:PID, in real
 * time. Each arriving device is checked against the driver before the runtime sees it ({@link Check}: for
 * a streaming driver {@link IsochStreamingDriver#problemWith}, and its speed, which the CE model does not
 * report, goes to the driver), and a device the driver cannot use is never opened; {@link #refused()}
 * says why. Only one device
 * is passed on (the one at the bus and ports chosen, if they were), so a second one with the same VID:PID
 * is never opened either.
 */
public final class LibusbBus implements ToolBus {
    private final LibusbHostController backend;
    private final Usbd usbd;
    private final Gate gate;

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param driver the driver the device is for
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, IsochStreamingDriver driver) {
        this(vendorId, productId, busPorts, driver, null);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param driver the driver the device is for
     * @param capture where the runtime captures every transfer, or {@code null}; the runtime closes it
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, IsochStreamingDriver driver, CaptureTap capture) {
        this(
                vendorId,
                productId,
                busPorts,
                (info, speed) -> {
                    String problem = driver.problemWith(info, speed);
                    if (problem == null) {
                        driver.speed(speed);
                    }
                    return problem;
                },
                capture);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param check whether the driver can use an arriving device
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, Check check) {
        this(vendorId, productId, busPorts, check, null);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param check whether the driver can use an arriving device
     * @param capture where the runtime captures every transfer, or {@code null}; the runtime closes it
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, Check check, CaptureTap capture) {
        backend = LibusbHostController.builder().device(vendorId, productId).build();
        gate = new Gate(backend, check, busPorts == null ? null : "libusb:" + busPorts + " ");
        Usbd.Builder b = Usbd.builder().backend(gate);
        if (capture != null) {
            b.capture(capture);
        }
        usbd = b.build();
    }

    /** Whether a driver can use a device, asked before the device is opened. */
    @FunctionalInterface
    public interface Check {
        /**
         * Says whether the driver can use the device.
         *
         * @param device the device's descriptors, its active configuration
         * @param speed its speed
         * @return why the driver cannot use it, or {@code null} if it can (the device is then passed on)
         */
        String problemWith(UsbDevice device, UsbSpeed speed);
    }

    @Override
    public Usbd usbd() {
        return usbd;
    }

    /** Completes with the location and the problem of the first device the driver cannot use. */
    public CompletableFuture<String> refused() {
        return gate.refused;
    }

    /** Where devices that passed the check arrived, in order. */
    public List<String> arrivals() {
        return List.copyOf(gate.arrivals);
    }

    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        CompletableFuture<Void> never = new CompletableFuture<>();
        long end = frame() + maxFrames;
        while (!done.getAsBoolean() && frame() < end) {
            await(never, Math.min(10, end - frame()));
        }
        return done.getAsBoolean();
    }

    /** Waits on the event itself: no polling. */
    @Override
    public boolean await(CompletableFuture<?> event, long maxFrames) {
        try {
            event.get(Math.max(0, maxFrames), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // timed out, or completed exceptionally: the caller looks at the event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return event.isDone();
    }

    @Override
    public long frame() {
        return backend.clock().currentFrame();
    }

    @Override
    public void close() {
        usbd.close();
    }

    /** Passes the backend through, checking each arriving device against the driver first. */
    private static final class Gate implements HostController {
        private final HostController backend;
        private final Check check;
        private final CompletableFuture<String> refused = new CompletableFuture<>();
        private final List<String> arrivals = new CopyOnWriteArrayList<>();
        private final Set<BackendDevice> passed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** The start of the chosen device's location, or {@code null} for any. */
        private final String locationPrefix;

        Gate(HostController backend, Check check, String locationPrefix) {
            this.backend = backend;
            this.check = check;
            this.locationPrefix = locationPrefix;
        }

        @Override
        public String name() {
            return backend.name();
        }

        @Override
        public void start(HostListener listener) {
            backend.start(new HostListener() {
                @Override
                public void deviceAttached(BackendDevice device) {
                    if (admit(device)) {
                        listener.deviceAttached(device);
                    }
                }

                @Override
                public void deviceDetached(BackendDevice device) {
                    if (passed.remove(device)) {
                        listener.deviceDetached(device);
                    }
                }
            });
        }

        /** Checks an arriving device; {@code true} if it is the one to pass on (the speed is then set). */
        private synchronized boolean admit(BackendDevice device) {
            if (!passed.isEmpty()
                    || (locationPrefix != null && !device.location().startsWith(locationPrefix))) {
                return false; // not the device chosen: never opened
            }
            if (device.activeConfigurationValue() == 0) {
                // caught between enumeration and SET_CONFIGURATION: not a device to judge (or open) yet
                arrivals.add(device.location() + " (unconfigured)");
                return false;
            }
            String problem;
            try {
                UsbDevice info = Descriptors.parseDevice(
                        device.deviceDescriptor(),
                        device.configurationDescriptors(),
                        device.activeConfigurationValue());
                problem = check.problemWith(info, device.speed());
            } catch (DescriptorException e) {
                problem = "its descriptors are malformed: " + e.getMessage();
            }
            if (problem != null) {
                refused.complete(device.location() + ": " + problem);
                return false;
            }
            passed.add(device);
            arrivals.add(device.location());
            return true;
        }

        @Override
        public BusClock clock() {
            return backend.clock();
        }

        @Override
        public void close() {
            backend.close();
        }
    }
}
