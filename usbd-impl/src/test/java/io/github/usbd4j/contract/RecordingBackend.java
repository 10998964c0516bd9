package io.github.usbd4j.contract;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.TransferType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a backend and counts what reaches it, to prove that bad arguments never do. */
public final class RecordingBackend implements HostController {
    private final HostController inner;
    private final Map<BackendDevice, BackendDevice> wrapped = new ConcurrentHashMap<>();
    /** Transfers submitted to any device. */
    public final AtomicInteger submits = new AtomicInteger();

    public RecordingBackend(HostController inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return "recording " + inner.name();
    }

    @Override
    public void start(HostListener listener) {
        inner.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {
                listener.deviceAttached(wrapped.computeIfAbsent(device, Device::new));
            }

            @Override
            public void deviceDetached(BackendDevice device) {
                BackendDevice w = wrapped.remove(device);
                listener.deviceDetached(w != null ? w : device);
            }
        });
    }

    @Override
    public BusClock clock() {
        return inner.clock();
    }

    @Override
    public void close() {
        inner.close();
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
        public boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period) {
            return d.reservePeriodic(endpointAddress, type, bytesPerInterval, period);
        }

        @Override
        public void releasePeriodic(int endpointAddress) {
            d.releasePeriodic(endpointAddress);
        }

        @Override
        public void submit(BackendTransfer transfer) throws BackendException {
            submits.incrementAndGet();
            d.submit(transfer);
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
