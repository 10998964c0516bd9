package io.github.usbd4j.realkernel;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Scenario c: runs the backend contract suites, {@link GuestIsochContract} (the CE semantics through the
 * runtime) and {@link GuestBackendSpiContract} (the backend SPI itself), with the JUnit Platform Launcher
 * inside the guest and reports every test as
 * {@code RESULT contract INFO <test> <SUCCESSFUL|ABORTED|FAILED> <reason>}.
 */
final class ContractScenario {
    private ContractScenario() {}

    static void run(GuestMain.Report r) {
        List<String> failed = new ArrayList<>();
        int[] counts = new int[3];
        Launcher launcher = LauncherFactory.create();
        launcher.execute(
                LauncherDiscoveryRequestBuilder.request()
                        .selectors(selectClass(GuestIsochContract.class), selectClass(GuestBackendSpiContract.class))
                        .build(),
                new TestExecutionListener() {
                    @Override
                    public void executionStarted(TestIdentifier id) {
                        if (id.isTest()) {
                            // to the console only: names the test a JVM crash interrupted
                            System.out.println("contract: starting " + id.getDisplayName());
                            System.out.flush();
                        }
                    }

                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (!id.isTest()) {
                            result.getThrowable().ifPresent(t -> {
                                failed.add(id.getDisplayName());
                                r.info("container " + id.getDisplayName() + " FAILED " + t);
                            });
                            return;
                        }
                        String reason =
                                result.getThrowable().map(Throwable::toString).orElse("");
                        r.info(id.getDisplayName() + " " + result.getStatus() + " " + reason);
                        switch (result.getStatus()) {
                            case SUCCESSFUL -> counts[0]++;
                            case ABORTED -> counts[1]++;
                            case FAILED -> {
                                counts[2]++;
                                failed.add(id.getDisplayName());
                                result.getThrowable().ifPresent(t -> t.printStackTrace(System.out));
                            }
                        }
                    }
                });
        r.info("contract on the usb4java backend: " + counts[0] + " passed, " + counts[1] + " skipped, " + counts[2]
                + " failed");
        if (!failed.isEmpty() || counts[0] == 0) {
            throw new AssertionError("contract tests failed in the guest: " + failed);
        }
    }
}
