package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A simulated USB device: extend this to test a driver against a device of your own. Attach it with
 * {@link SimulatedHostController#attach}.
 *
 * <p>The simulator answers the standard requests itself from what the model declares (descriptors,
 * configuration and alternate-setting state, endpoint halt, status, SYNCH_FRAME) and tells the model
 * about configuration and alternate-setting changes; the model answers class and vendor requests in
 * {@link #control} and moves endpoint data in the {@link EndpointHandler}s it returns from
 * {@link #endpoint}. All callbacks run on the thread that advances the bus, one at a time.
 */
public abstract class DeviceModel {
    private volatile BusClock clock;

    /** The speed the device runs at: {@link UsbSpeed#FULL} or {@link UsbSpeed#HIGH}. */
    public abstract UsbSpeed speed();

    /** The device descriptor. */
    public abstract UsbDeviceDescriptor deviceDescriptor();

    /** Every configuration descriptor, whole ({@code wTotalLength} bytes), index 0 first. */
    public abstract List<byte[]> configurationDescriptors();

    /**
     * The text of string descriptor {@code index} (US English, the only language the simulator offers).
     *
     * @param index string index, 1 or more
     * @return the text, or {@code null} when there is none (the request stalls)
     */
    public String string(int index) {
        return null;
    }

    /**
     * Answers a request the simulator does not handle itself: class and vendor requests, and standard
     * requests it does not know (for example GET_DESCRIPTOR of a class descriptor type). The default
     * stalls.
     *
     * @param setup the setup packet
     * @param dataOut the OUT data stage (read-only, empty for IN requests)
     * @return the answer
     */
    public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
        return ControlResponse.stall();
    }

    /**
     * The handler of an endpoint of the active configuration and alternate settings. Asked again after
     * every SET_CONFIGURATION and SET_INTERFACE.
     *
     * @param address endpoint address, direction bit included
     * @return the handler, or {@code null} to stall every transfer to it
     */
    public abstract EndpointHandler endpoint(int address);

    /**
     * The host selected a configuration (0: unconfigured). Alternate settings are back to 0.
     *
     * @param configurationValue the value the configuration descriptor gives it, 0 for none
     */
    public void configurationChanged(int configurationValue) {}

    /**
     * The host selected an alternate setting of an interface (SET_INTERFACE).
     *
     * @param interfaceNumber the interface
     * @param alternateSetting the new alternate setting
     */
    public void alternateSettingChanged(int interfaceNumber, int alternateSetting) {}

    /** The current bus frame, or -1 while the model is not attached. */
    protected final long currentFrame() {
        BusClock c = clock;
        return c == null ? -1 : c.currentFrame();
    }

    final void bind(BusClock clock) {
        this.clock = clock;
    }
}
