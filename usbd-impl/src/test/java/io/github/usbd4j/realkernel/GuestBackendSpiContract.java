package io.github.usbd4j.realkernel;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.contract.BackendSpiContract;

/**
 * The backend SPI contract on the usb4java backend and a real Linux kernel: the loopback device, served by
 * the host's USB/IP server, attached to the guest's vhci-hcd. Runs only inside the QEMU guest (through
 * {@link ContractScenario}); the name deliberately matches neither Surefire's nor Failsafe's includes.
 */
public class GuestBackendSpiContract extends BackendSpiContract {
    @Override
    protected BackendHarness harness() {
        return new RealKernelHarness();
    }
}
