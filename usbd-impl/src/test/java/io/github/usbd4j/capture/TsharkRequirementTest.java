package io.github.usbd4j.capture;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** Where tshark is missing, the capture tests skip, except under USBD4J_REQUIRE_REAL_KERNEL=1: they fail. */
class TsharkRequirementTest {
    @Test
    void missingTshark_skips_unlessRequired_thenFails() {
        assertThatThrownBy(() -> Tshark.assume(false, false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("tshark");
        assertThatThrownBy(() -> Tshark.assume(false, true))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("USBD4J_REQUIRE_REAL_KERNEL=1");
        assertThatCode(() -> Tshark.assume(true, true)).doesNotThrowAnyException();
        assertThatCode(() -> Tshark.assume(true, false)).doesNotThrowAnyException();
    }
}
