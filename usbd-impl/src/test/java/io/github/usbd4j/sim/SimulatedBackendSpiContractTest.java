package io.github.usbd4j.sim;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.contract.BackendSpiContract;

/** The backend SPI contract on the simulated host controller, in virtual time. */
class SimulatedBackendSpiContractTest extends BackendSpiContract {
    @Override
    protected BackendHarness harness() {
        return new SimHarness();
    }
}
