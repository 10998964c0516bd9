package io.github.usbd4j.samples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The sample drivers are written against usbd-api only; only the tool knows usbd-impl. */
class ArchitectureTest {
    private static final JavaClasses SAMPLES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.github.usbd4j.samples");

    @Test
    void driversDependOnTheApiOnly() {
        noClasses()
                .that()
                .resideInAPackage("io.github.usbd4j.samples..")
                .and()
                .resideOutsideOfPackage("io.github.usbd4j.samples.tool..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.github.usbd4j.host..",
                        "io.github.usbd4j.sim..",
                        "io.github.usbd4j.internal..",
                        "io.github.usbd4j.libusb..",
                        "io.github.usbd4j.usbip..",
                        "org.usb4java..",
                        "picocli..",
                        "org.slf4j..")
                .check(SAMPLES);
    }

    @Test
    void driversDoNotDependOnTheTool() {
        noClasses()
                .that()
                .resideInAPackage("io.github.usbd4j.samples..")
                .and()
                .resideOutsideOfPackage("io.github.usbd4j.samples.tool..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.github.usbd4j.samples.tool..")
                .check(SAMPLES);
    }
}
