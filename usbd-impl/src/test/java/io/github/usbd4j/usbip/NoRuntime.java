package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.sim.SimulatedHostController;
import java.util.ArrayList;
import java.util.List;

/**
 * The bus a USB/IP test exports from: no runtime runs on it, because the server drives the exported devices itself,
 * so arrivals and departures go unheard.
 */
final class NoRuntime {
    static final HostListener LISTENER = new HostListener() {
        @Override
        public void deviceAttached(BackendDevice device) {}

        @Override
        public void deviceDetached(BackendDevice device) {}
    };

    private NoRuntime() {}

    /** A simulated bus on the virtual clock (the test advances it), started with {@link #LISTENER}. */
    static SimulatedHostController startedBus() {
        SimulatedHostController sim = SimulatedHostController.builder().build();
        sim.start(LISTENER);
        return sim;
    }

    /** What a test opened (servers, clients, pipes), closed after it newest first. */
    static final class Opened {
        private final List<AutoCloseable> opened = new ArrayList<>();

        void add(AutoCloseable c) {
            opened.add(c);
        }

        void closeAll() throws Exception {
            for (int i = opened.size() - 1; i >= 0; i--) {
                opened.get(i).close();
            }
        }
    }
}
