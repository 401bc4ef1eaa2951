package dev.bollard.scan.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.scan.PackageType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every version scheme against tables of facts from its specification or reference implementation (dpkg's
 * deb-version(7) and Debian Policy 5.6.12, rpm's rpmvercmp test suite, apk-tools' version test data, semver.org
 * §11 and Go's pseudo-versions, Maven's ComparableVersionTest, PEP 440 and packaging's test versions). Each row is
 * {@code "a < b"}, {@code "a = b"} or {@code "a > b"}; each is checked both ways round.
 */
class VersionSchemesTest {

    /** Checks each row of {@code table} on {@code scheme}, collecting every failure. */
    private static void check(VersionScheme scheme, String... table) {
        List<String> wrong = new ArrayList<>();
        for (String row : table) {
            String[] p = row.split(" ", -1);
            assertThat(p).as(row).hasSize(3);
            int expected = switch (p[1]) {
                case "<" -> -1;
                case ">" -> 1;
                case "=" -> 0;
                default -> throw new IllegalArgumentException(row);
            };
            int forward = Integer.signum(scheme.compare(p[0], p[2]));
            int backward = Integer.signum(scheme.compare(p[2], p[0]));
            if (forward != expected || backward != -expected) {
                wrong.add(row + " (got " + forward + " and reversed " + backward + ")");
            }
        }
        assertThat(wrong).as(scheme.name()).isEmpty();
    }

    /** Checks that {@code versions} are in strictly ascending order, every pair. */
    private static void ascending(VersionScheme scheme, String... versions) {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < versions.length; i++) {
            for (int j = i + 1; j < versions.length; j++) {
                rows.add(versions[i] + " < " + versions[j]);
            }
        }
        check(scheme, rows.toArray(String[]::new));
    }

    @Test
    void dpkg() {
        VersionScheme v = VersionSchemes.dpkg();
        // Debian Policy 5.6.12's example of ~: "~~, ~~a, ~, the empty part, a"
        ascending(v, "1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a");
        check(v,
                "1.0 = 1.0",
                "0:1.0 = 1.0",
                "1.0-0 = 1.0", // an absent revision compares as 0
                "1.0-1 < 1.0-1.1",
                "1:1.0 > 9.9", // the epoch decides first
                "2:1.0 > 1:9.9",
                "1.0~rc1 < 1.0",
                "1.0~rc1-1 < 1.0-1",
                "1.0+dfsg-1 > 1.0-1",
                "1.0.1 > 1.0+really",  // '.' and '+' both after letters: 1 vs + decides by digits run first
                "1.0 < 1.0.",
                "1.10 > 1.9",
                "1.010 = 1.10",
                "7.88.1-10+deb12u5 < 7.88.1-10+deb12u8",
                "2.36-9+deb12u4 < 2.36-9+deb12u7",
                "2.36-9+deb12u9 < 2.36-9+deb12u10", // numeric, not text
                "2.36-9+deb12u10 < 2.36-10",
                "3.0.11-1~deb12u2 < 3.0.11-1", // a backport's ~ puts it before the version it backports
                "3.0.11-1~deb12u2 > 3.0.9-1",
                "3.0.15-1~deb12u1 > 3.0.11-1~deb12u2",
                "1:2.38-4 > 2.39-1",
                "5.2.15-2+b2 > 5.2.15-2", // binNMU
                "1.2.3-1ubuntu1 > 1.2.3-1",
                "1.2.3-1ubuntu0.1 < 1.2.3-1ubuntu1",
                "1.2.3-1build1 > 1.2.3-1");
    }

    @Test
    void rpm() {
        VersionScheme v = VersionSchemes.rpm();
        check(v,
                // rpmvercmp's documented cases
                "1.0 = 1.0",
                "1.0 < 2.0",
                "2.0.1 > 2.0",
                "2.0.1a > 2.0.1",
                "5.5p1 < 5.5p2",
                "5.5p10 > 5.5p1",
                "10xyz < 10.1xyz",
                "xyz10 < xyz10.1",
                "xyz.4 < 8",
                "xyz.4 < 2",
                "5.5p2 < 5.6p1",
                "6.0.rc1 > 6.0",
                "10b2 > 10a1",
                "1.0a < 1.0aa",
                "10.0001 = 10.1",
                "10.1 < 10.0039",
                "4.999.9 < 5.0",
                "20101121 < 20101122",
                "2_0 = 2_0",
                "2.0 = 2_0",
                "a+ = a_",
                "+_ = _+",
                // ~ sorts before everything
                "1.0~rc1 < 1.0",
                "1.0~rc1 < 1.0~rc2",
                "1.0~rc1~git123 < 1.0~rc1",
                // ^ sorts after the end, before anything else
                "1.0^ > 1.0",
                "1.0 < 1.0^git1",
                "1.0^git1 < 1.0^git2",
                "1.0^git1 < 1.01",
                "1.0^20160101 < 1.0.1",
                "1.0^20160101^git1 > 1.0^20160101",
                "1.0~rc1^git1 > 1.0~rc1",
                "1.0^git1~pre < 1.0^git1",
                // epoch:version-release
                "1:1.0-1 > 2.0-1",
                "0:1.0-1 = 1.0-1",
                "3.0.7-16.el9_2 < 3.0.7-18.el9_2",
                "3.0.7-27.el9 > 3.0.7-24.el9",
                "1:3.0.7-27.el9 > 3.0.7-27.el9",
                "2.34-60.el9 < 2.34-100.el9",
                "2.34-60.el9_2.7 > 2.34-60.el9",
                "7.76.1-26.el9_3.2 < 7.76.1-26.el9_3.3");
    }

    @Test
    void apk() {
        VersionScheme v = VersionSchemes.apk();
        // from apk-tools' version test data
        check(v,
                "2.34 > 0.1.0_alpha",
                "0.1.0_alpha = 0.1.0_alpha",
                "0.1.0_alpha < 0.1.3_alpha",
                "0.1.0_alpha2 > 0.1.0_alpha",
                "1.0.4-r3 < 1.0.4-r4",
                "1.1 > 1.1_alpha1",
                "1.3_alpha < 1.3_alpha2",
                "0.8_beta1 < 0.8_beta2",
                "2.3.0b-r1 < 2.3.0b-r2",
                "0.12.3 > 0.12",
                "1.2.11 < 1.2.12.1",
                "3.1_p16 < 3.1_p17",
                "1.06-r6 < 006",
                "1.2.2-r1 > 1.2.2",
                "2.9.3-r1 > 0.9-r1",
                "20050718-r1 < 20050718-r2",
                "3.9.8-r5 > 2.01.01_alpha10",
                "2.0.0_rc3-r1 > 1.5",
                "0.10.0 < 0.10.1_rc1",
                "1.4_p12-r2 < 1.4_p12-r5",
                "4.5_p1-r1 > 4.5_p1",
                "1.8.5 < 1.8.5_p2",
                "0.9.8c-r1 < 0.9.8d",
                "1.7 < 1.7b",
                "0.20070118 < 0.20070207_rc1",
                "2.9.11_pre20051101-r3 > 2.9.11_pre20051101",
                "1.0_p10-r0 > 1.0_p9-r0",
                "0.1.0_alpha_pre2 < 0.1.0_alpha",
                "1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0",
                "1.3_pre1-r1 < 1.3.2",
                "1.0 < 1.0bc",
                // edges: leading zeros after a dot, suffix order, revision
                "1.01 < 1.1",
                "1.001 < 1.01",
                "1.0 < 1.0.0",
                "1.0 = 1.0",
                "1.0_rc1 < 1.0",
                "1.0_rc1 > 1.0_beta9",
                "1.0_beta1 > 1.0_alpha9",
                "1.0_pre1 < 1.0_rc1",
                "1.0_p1 > 1.0-r5",
                "1.0-r1 > 1.0",
                "3.1.4-r5 < 3.1.4-r6",
                "3.1.4-r6 < 3.1.5-r0");
    }

    @Test
    void semverAndGo() {
        VersionScheme v = VersionSchemes.semver();
        // semver.org §11's example
        ascending(v, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1");
        check(v,
                "1.0.0+build.1 = 1.0.0",
                "v1.2.3 = 1.2.3",
                "1.2 = 1.2.0",
                "10.0.0 > 9.99.99",
                "1.0.0-alpha-1 > 1.0.0-alpha",
                "1.0.0-2 < 1.0.0-10",
                "1.0.0-2 < 1.0.0-a",
                // Go: pseudo-versions before the release they precede, ordered by time
                "v0.0.0-20191109021931-daa7c04131f5 < v0.0.0-20200101000000-abcdefabcdef",
                "v0.0.0-20200101000000-abcdefabcdef < v0.0.1",
                "v1.2.3 < v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4-0.20191109021931-daa7c04131f5 < v1.2.4",
                "v1.2.4-pre < v1.2.4-pre.0.20191109021931-daa7c04131f5",
                "v2.0.0+incompatible = v2.0.0",
                "v0.17.0 < v0.23.0",
                // crates.io / npm
                "0.10.0 > 0.9.9",
                "4.17.20 < 4.17.21");
        assertThatThrownBy(() -> v.compare("1.x", "1.0.0")).isInstanceOf(InvalidVersionException.class)
                .hasMessageContaining("'1.x' is not a valid semver version");
    }

    @Test
    void maven() {
        VersionScheme v = VersionSchemes.maven();
        // Maven's ComparableVersionTest
        ascending(v, "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc",
                "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1",
                "1-1-snapshot", "1-1", "1-2", "1-123");
        ascending(v, "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
                "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b",
                "11c", "11m");
        check(v,
                "1 = 1.0", "1 = 1.0.0", "1.0 = 1.0.0", "1 = 1-0", "1 = 1.0-0", "1.0 = 1.0-0",
                "1a = 1.a", "1a = 1-a", "1a = 1.0-a", "1a = 1.0.0-a", "1.0a = 1.0.a", "1x = 1.0.0-x",
                "1ga = 1", "1final = 1", "1cr = 1rc", "1a1 = 1alpha1", "1b2 = 1beta2", "1m3 = 1milestone3",
                "1X = 1x", "1GA = 1", "1FINAL = 1", "1m3 = 1MILESTONE3",
                "1 < 2", "1.5 < 2", "1.0.0 < 1.1", "1.0.1 < 1.1", "1.1 < 1.2.0",
                "1.0-alpha-1 < 1.0", "1.0-alpha-1 < 1.0-beta-1", "1.0-beta-1 < 1.0-SNAPSHOT",
                "1.0-SNAPSHOT < 1.0", "1.0-alpha-1-SNAPSHOT < 1.0-alpha-1",
                "1.0 < 1.0-1", "1.0-1 < 1.0-2", "1.0.0 < 1.0-1", "2.0-1 < 2.0.1",
                "2.0.1-klm < 2.0.1-lmn", "2.0.1 < 2.0.1-xyz", "2.0.1 < 2.0.1-123", "2.0.1-xyz < 2.0.1-123",
                // the qualifier order the brief names: alpha < beta < milestone < rc < snapshot < "" < sp
                "1.0-alpha < 1.0-beta", "1.0-beta < 1.0-milestone", "1.0-milestone < 1.0-rc", "1.0-rc < 1.0-snapshot",
                "1.0-snapshot < 1.0", "1.0 < 1.0-sp",
                // jackson-databind's releases around its fixes
                "2.9.10.7 < 2.9.10.8", "2.9.10.8 < 2.10.0", "2.12.6 < 2.12.6.1", "2.13.2 < 2.13.2.1",
                "2.13.2.1 < 2.13.2.2", "2.13.4 < 2.13.4.1", "2.13.4.2 > 2.13.4.1", "2.14.0-rc1 < 2.14.0");
    }

    @Test
    void pep440() {
        VersionScheme v = VersionSchemes.pep440();
        // packaging's ordered test versions
        ascending(v, "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
                "1.0b2.post345.dev456", "1.0b2.post345", "1.0b2-346", "1.0c1.dev456", "1.0c1", "1.0rc2", "1.0c3",
                "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.2+123abc", "1.2+123abc456", "1.2+abc",
                "1.2+abc123", "1.2+abc123def", "1.2+1234.abc", "1.2+123456", "1.2.r32+123456", "1.2.rev33+123456",
                "1!1.0b2.post345.dev456", "1!1.0", "1!1.0.post456", "1!1.2.rev33+123456");
        check(v,
                "1.0 = 1.0.0", "1.0 = v1.0", "1.0a1 = 1.0alpha1", "1.0b1 = 1.0.beta.1", "1.0rc1 = 1.0c1",
                "1.0rc1 = 1.0-pre1", "1.0rc1 = 1.0preview1", "1.0.post1 = 1.0-1", "1.0.post1 = 1.0.r1",
                "1.0.post1 = 1.0-rev1", "1.0.dev0 = 1.0.dev", "1.0a = 1.0a0", "1.0.POST1 = 1.0.post1",
                "1.0+ubuntu1 > 1.0", "1.0+ubuntu1 < 1.0.post1", "1.0+1 > 1.0+abc", "1.0+a.1 < 1.0+a.1.1",
                "2!0.1 > 1.9", "1.0.dev1 < 1.0a1", "1.0a1.dev1 < 1.0a1", "1.0.post1.dev1 < 1.0.post1",
                "1.0.post1.dev1 > 1.0",
                // real fix boundaries
                "2.31.0 < 2.32.0", "41.0.6 < 41.0.7", "2.0.0rc1 < 2.0.0", "1.26.17 < 1.26.18");
        assertThatThrownBy(() -> v.compare("1.0-foo", "1.0")).isInstanceOf(InvalidVersionException.class)
                .hasMessageContaining("pep440");
    }

    @Test
    void schemesByPackageTypeAndOsvEcosystem() {
        assertThat(VersionSchemes.of(PackageType.DPKG).name()).isEqualTo("dpkg");
        assertThat(VersionSchemes.of(PackageType.APK).name()).isEqualTo("apk");
        assertThat(VersionSchemes.of(PackageType.RPM).name()).isEqualTo("rpm");
        assertThat(VersionSchemes.of(PackageType.MAVEN).name()).isEqualTo("maven");
        assertThat(VersionSchemes.of(PackageType.PYPI).name()).isEqualTo("pep440");
        assertThat(VersionSchemes.of(PackageType.NPM).name()).isEqualTo("semver");
        assertThat(VersionSchemes.of(PackageType.GO).name()).isEqualTo("semver");
        assertThat(VersionSchemes.of(PackageType.CARGO).name()).isEqualTo("semver");
        assertThat(VersionSchemes.forEcosystem("Debian:12")).contains(VersionSchemes.dpkg());
        assertThat(VersionSchemes.forEcosystem("Ubuntu:22.04:LTS")).contains(VersionSchemes.dpkg());
        assertThat(VersionSchemes.forEcosystem("Alpine:v3.19")).contains(VersionSchemes.apk());
        assertThat(VersionSchemes.forEcosystem("Red Hat:enterprise_linux:9::appstream")).contains(VersionSchemes.rpm());
        assertThat(VersionSchemes.forEcosystem("crates.io")).contains(VersionSchemes.semver());
        assertThat(VersionSchemes.forEcosystem("PyPI")).contains(VersionSchemes.pep440());
        assertThat(VersionSchemes.forEcosystem("Hackage")).isEmpty();
    }
}
