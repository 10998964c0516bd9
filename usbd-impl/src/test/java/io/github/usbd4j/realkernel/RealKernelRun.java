package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

/** Host-side assertions over one guest boot's results; every failure message carries the guest's logs. */
final class RealKernelRun {
    final QemuGuest guest;
    final QemuGuest.Result result;

    RealKernelRun(QemuGuest guest, QemuGuest.Result result) {
        this.guest = guest;
        this.result = result;
        System.out.println("[" + guest.runDir().getFileName() + "] QEMU boot to power-off " + result.wallMillis()
                + " ms (initramfs " + result.initramfsMillis() + " ms), GUEST_RC=" + result.guestRc());
        result.markers().forEach(m -> System.out.println("  " + String.join(" ", m)));
    }

    /** The guest powered off by itself. */
    void assertBooted() {
        assertThat(result.exited())
                .as("QEMU exited before the timeout\n%s", result.diagnostics())
                .isTrue();
        assertThat(result.guestRc())
                .as("the guest program ran and printed GUEST_RC\n%s", result.diagnostics())
                .isNotEqualTo(-1);
    }

    /** The scenario reported PASS (and no FAIL). */
    void assertPassed(String scenario) {
        List<String> kinds = new ArrayList<>();
        for (String[] m : result.markers()) {
            if (m[0].equals(scenario)) {
                kinds.add(m[1]);
            }
        }
        assertThat(kinds)
                .as("scenario %s passed in the guest\n%s", scenario, result.diagnostics())
                .contains("PASS")
                .doesNotContain("FAIL");
    }

    /** The INFO details of a scenario. */
    List<String> info(String scenario) {
        List<String> out = new ArrayList<>();
        for (String[] m : result.markers()) {
            if (m[0].equals(scenario) && m[1].equals("INFO")) {
                out.add(m[2]);
            }
        }
        return out;
    }
}
