package io.github.usbd4j.realkernel;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.sim.LoopbackDevice;

/**
 * The backend contract harness on a real kernel, inside the QEMU guest: the usb4java backend limited to
 * the loopback device, which the host's USB/IP server exports (bus id 1-1). Plugging is {@code usbip
 * attach} to the guest's vhci-hcd, unplugging is {@code usbip detach}, and bus time is wall-clock time.
 */
final class RealKernelHarness implements BackendHarness {
    private Integer port;

    @Override
    public HostController newBackend(UsbSpeed speed) {
        if (speed != UsbSpeed.FULL) {
            throw new IllegalArgumentException("the guestfwd server exports the full-speed loopback device");
        }
        return LibusbHostController.builder()
                .device(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID)
                .pollIntervalMillis(20)
                .hotplug(false)
                .build();
    }

    @Override
    public Object plugLoopback() {
        try {
            port = GuestUsbIp.attach("1-1");
            // the contract's plug() allows 5000 frames for the runtime's attach; enumeration under TCG
            // takes part of that, so wait for the kernel first
            Scenarios.awaitSysfs(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, 20_000);
            return port;
        } catch (Exception e) {
            throw new AssertionError("usbip attach failed", e);
        }
    }

    @Override
    public void unplug(Object device) {
        try {
            GuestUsbIp.detach((Integer) device);
            port = null;
        } catch (Exception e) {
            throw new AssertionError("usbip detach failed", e);
        }
    }

    @Override
    public void runFrames(long frames) {
        try {
            Thread.sleep(frames);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public boolean isVirtual() {
        return false;
    }

    /** Detaches the device if a test left it attached, so that the next test plugs a fresh one. */
    @Override
    public void close() {
        if (port != null) {
            unplug(port);
        }
    }
}
