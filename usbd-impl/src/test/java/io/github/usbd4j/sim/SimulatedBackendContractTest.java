package io.github.usbd4j.sim;

import io.github.usbd4j.contract.BackendHarness;
import io.github.usbd4j.contract.IsochSemanticsContract;

/** The backend contract suite on the simulated host controller, in virtual time. */
class SimulatedBackendContractTest extends IsochSemanticsContract {
    @Override
    protected BackendHarness harness() {
        return new SimHarness();
    }
}
