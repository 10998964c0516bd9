package io.github.usbd4j.samples.tool;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.libusb.LibusbHostController;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The {@code libusb} backend of the tool: real devices through usb4java, limited to one VID:PID. The
 * device's speed, which the CE model does not report, is handed to {@code onSpeed} before any driver is
 * offered the device.
 */
public final class LibusbBus implements ToolBus {
    private static final long POLL_MILLIS = 5;

    private final LibusbHostController backend;
    private final Usbd usbd;

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param onSpeed told the device's speed when it arrives, before drivers see it
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, Consumer<UsbSpeed> onSpeed) {
        this(vendorId, productId, onSpeed, null);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param onSpeed told the device's speed when it arrives, before drivers see it
     * @param capture where the runtime captures every transfer, or {@code null}
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, Consumer<UsbSpeed> onSpeed, CaptureTap capture) {
        backend = LibusbHostController.builder().device(vendorId, productId).build();
        Usbd.Builder b = Usbd.builder().backend(new SpeedReporting(backend, onSpeed));
        if (capture != null) {
            b.capture(capture);
        }
        usbd = b.build();
    }

    @Override
    public Usbd usbd() {
        return usbd;
    }

    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        long end = frame() + maxFrames;
        while (!done.getAsBoolean() && frame() < end) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return done.getAsBoolean();
    }

    @Override
    public long frame() {
        return backend.clock().currentFrame();
    }

    @Override
    public void close() {
        usbd.close();
    }

    /** Passes the backend through, telling {@code onSpeed} each arriving device's speed first. */
    private record SpeedReporting(HostController backend, Consumer<UsbSpeed> onSpeed) implements HostController {
        @Override
        public String name() {
            return backend.name();
        }

        @Override
        public void start(HostListener listener) {
            backend.start(new HostListener() {
                @Override
                public void deviceAttached(BackendDevice device) {
                    onSpeed.accept(device.speed());
                    listener.deviceAttached(device);
                }

                @Override
                public void deviceDetached(BackendDevice device) {
                    listener.deviceDetached(device);
                }
            });
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
