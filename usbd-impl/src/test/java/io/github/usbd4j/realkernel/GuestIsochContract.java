package io.github.usbd4j.realkernel;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.contract.IsochSemanticsContract;

/**
 * The backend contract suite on the usb4java backend and a real Linux kernel. Runs only inside the QEMU
 * guest (through {@link ContractScenario}); the name deliberately matches neither Surefire's nor
 * Failsafe's includes.
 */
public class GuestIsochContract extends IsochSemanticsContract {
    @Override
    protected BackendHarness harness() {
        return new RealKernelHarness();
    }
}
