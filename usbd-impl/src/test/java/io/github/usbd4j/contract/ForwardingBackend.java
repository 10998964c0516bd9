package io.github.usbd4j.contract;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.ForwardingHostController;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend that forwards everything to another one; tests override the hooks to slow a step down or to
 * watch it (a device leaving while a submission is under way, say).
 */
public class ForwardingBackend extends ForwardingHostController {
    private final Map<BackendDevice, BackendDevice> wrapped = new ConcurrentHashMap<>();

    public ForwardingBackend(HostController inner) {
        super(inner);
    }

    /** Called for every submission, before it reaches the inner backend. */
    protected void beforeSubmit(BackendTransfer transfer) {}

    /** Called for a submission the inner backend refused, before the refusal is passed on. */
    protected void submitRefused(BackendTransfer transfer, BackendException refusal) {}

    /** Called before a departure is reported to the runtime. */
    protected void beforeDetached(BackendDevice device) {}

    @Override
    public String name() {
        return "forwarding " + delegate().name();
    }

    @Override
    public void start(HostListener listener) {
        delegate().start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {
                listener.deviceAttached(wrapped.computeIfAbsent(device, Device::new));
            }

            @Override
            public void deviceDetached(BackendDevice device) {
                BackendDevice w = wrapped.remove(device);
                beforeDetached(w != null ? w : device);
                listener.deviceDetached(w != null ? w : device);
            }
        });
    }

    private final class Device implements BackendDevice {
        private final BackendDevice d;

        Device(BackendDevice d) {
            this.d = d;
        }

        @Override
        public String location() {
            return d.location();
        }

        @Override
        public UsbSpeed speed() {
            return d.speed();
        }

        @Override
        public byte[] deviceDescriptor() {
            return d.deviceDescriptor();
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return d.configurationDescriptors();
        }

        @Override
        public int activeConfigurationValue() {
            return d.activeConfigurationValue();
        }

        @Override
        public void open() throws BackendException {
            d.open();
        }

        @Override
        public void close() {
            d.close();
        }

        @Override
        public boolean reservePeriodic(
                int endpointAddress, io.github.usbd4j.host.spi.TransferType type, int bytes, int p) {
            return d.reservePeriodic(endpointAddress, type, bytes, p);
        }

        @Override
        public void releasePeriodic(int endpointAddress) {
            d.releasePeriodic(endpointAddress);
        }

        @Override
        public void submit(BackendTransfer transfer) throws BackendException {
            beforeSubmit(transfer);
            try {
                d.submit(transfer);
            } catch (BackendException e) {
                submitRefused(transfer, e);
                throw e;
            }
        }

        @Override
        public void cancel(BackendTransfer transfer) {
            d.cancel(transfer);
        }

        @Override
        public void resetEndpoint(int endpointAddress) {
            d.resetEndpoint(endpointAddress);
        }

        @Override
        public boolean suspend() {
            return d.suspend();
        }

        @Override
        public boolean resume() {
            return d.resume();
        }

        @Override
        public boolean disable(boolean reenumerate) {
            return d.disable(reenumerate);
        }
    }
}
