package io.github.usbd4j.ce;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Layering of usbd-api ([Modules and packages](reference/design.html#modules)): the API depends on nothing of usbd-impl
 * or of any library, and the personalities do not import each other.
 */
class ArchitectureTest {

    private static JavaClasses api;

    @BeforeAll
    static void importApi() {
        api = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.github.usbd4j");
    }

    /** usbd-api may use the JDK and its own packages only. */
    private static ArchRule apiDependsOnlyOnJdkAndApi() {
        return classes()
                .that()
                .resideInAPackage("io.github.usbd4j..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage(
                        "java..",
                        "io.github.usbd4j.ce..",
                        "io.github.usbd4j.descriptor..",
                        "io.github.usbd4j.usb..",
                        "io.github.usbd4j.winusb..",
                        "io.github.usbd4j.wdm..",
                        "io.github.usbd4j.win32..");
    }

    private static ArchRule doesNotDependOn(String from, String to) {
        return noClasses()
                .that()
                .resideInAPackage(from + "..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(to + "..")
                .allowEmptyShould(true);
    }

    @Test
    void import_holdsTheApiMainClassesOnly() {
        assertThat(api.contain(UsbFuncs.class)).isTrue();
        assertThat(api.contain(io.github.usbd4j.descriptor.UsbSpeed.class)).isTrue();
        assertThat(api.contain(ArchitectureTest.class))
                .as("test classes excluded")
                .isFalse();
        assertThat(api.size()).isGreaterThan(30);
    }

    @Test
    void api_dependsOnlyOnJdkAndApiPackages() {
        apiDependsOnlyOnJdkAndApi().check(api);
    }

    @Test
    void api_doesNotDependOnImplOrLibraries() {
        // named explicitly so that a failure says which layer was crossed
        for (String forbidden : new String[] {
            "io.github.usbd4j.host",
            "io.github.usbd4j.sim",
            "io.github.usbd4j.libusb",
            "io.github.usbd4j.usbip",
            "io.github.usbd4j.internal",
            "org.usb4java",
            "org.slf4j",
            "ch.qos.logback"
        }) {
            doesNotDependOn("io.github.usbd4j", forbidden).check(api);
        }
    }

    @Test
    void neutralPackages_doNotDependOnAnyPersonality() {
        for (String neutral :
                new String[] {"io.github.usbd4j.usb", "io.github.usbd4j.descriptor", "io.github.usbd4j.win32"}) {
            for (String personality :
                    new String[] {"io.github.usbd4j.ce", "io.github.usbd4j.winusb", "io.github.usbd4j.wdm"}) {
                doesNotDependOn(neutral, personality).check(api);
            }
        }
    }

    @Test
    void winusbAndWdm_doNotDependOnCe() {
        doesNotDependOn("io.github.usbd4j.winusb", "io.github.usbd4j.ce").check(api);
        doesNotDependOn("io.github.usbd4j.wdm", "io.github.usbd4j.ce").check(api);
    }

    @Test
    void winusb_doesNotDependOnWdm() {
        doesNotDependOn("io.github.usbd4j.winusb", "io.github.usbd4j.wdm").check(api);
    }

    @Test
    void wdm_doesNotDependOnWinusb() {
        doesNotDependOn("io.github.usbd4j.wdm", "io.github.usbd4j.winusb").check(api);
    }

    @Test
    void layeringRule_failsForAClassUsingALibrary() {
        // this test class uses AssertJ, JUnit and ArchUnit: the rule must reject it
        JavaClasses offender = new ClassFileImporter().importClasses(ArchitectureTest.class);
        assertThatThrownBy(() -> apiDependsOnlyOnJdkAndApi().check(offender))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("org.assertj");
    }

    @Test
    void dependencyRule_failsForAnExistingDependency() {
        // UsbFuncs uses java.nio.ByteBuffer: the same rule builder must catch it
        assertThatThrownBy(
                        () -> doesNotDependOn("io.github.usbd4j.ce", "java.nio").check(api))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("ByteBuffer");
    }
}
