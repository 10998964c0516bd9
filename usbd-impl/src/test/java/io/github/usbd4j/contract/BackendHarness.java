package io.github.usbd4j.contract;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.HostController;

/**
 * What the backend contract suite needs from a backend under test: a fresh host controller, the
 * isochronous loopback test device (VID:PID 1209:0001, interface 0: alt 1 with iso OUT 0x01 and iso IN
 * 0x81), and a way to let bus time pass. The simulator implements it in virtual time; the usb4java
 * backend implements it against a real kernel in a QEMU guest.
 */
public interface BackendHarness extends AutoCloseable {

    /**
     * A new host controller with no devices attached.
     *
     * @param speed the bus speed: FULL or HIGH
     * @return the backend
     */
    HostController newBackend(UsbSpeed speed);

    /**
     * Plugs in the loopback device on the backend made last.
     *
     * @return a token for {@link #unplug}
     */
    Object plugLoopback();

    /**
     * Unplugs a device mid-stream.
     *
     * @param device the token from {@link #plugLoopback}
     */
    void unplug(Object device);

    /**
     * Lets bus time pass: advances a virtual clock, or waits on a real one.
     *
     * @param frames 1 ms frames
     */
    void runFrames(long frames);

    /** {@code true} when the bus runs on a virtual clock, so start frames are exact. */
    boolean isVirtual();

    @Override
    void close();
}
