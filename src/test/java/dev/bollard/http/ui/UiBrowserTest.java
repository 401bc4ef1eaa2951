package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.clients.Skopeo;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.testing.ScanFixtures;
import dev.bollard.config.BollardConfig;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import dev.bollard.testing.WebhookReceiver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in a real browser (Debian's headless Chromium through chromedriver and Selenium), as a new user drives
 * it: sign in, create an organization with a team and a robot account, create a repository and give the robot
 * write permission on it; push an image with
 * skopeo using the robot's token; find it by searching; inspect its layers and build history; push again to move
 * the tag and see both in the tag history. Screenshots of each step go to {@code target/ui-screenshots}
 * (docs/ui.md shows copies). Skipped, with the reason, where Chromium, chromedriver, skopeo or umoci are missing.
 */
class UiBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

    @TempDir
    Path dir;
    private TestRegistry registry;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        Requirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "chromium or "
                + "chromedriver not installed (" + CHROMIUM + ", " + CHROMEDRIVER + "); .ci/run installs Debian's "
                + "chromium and chromium-driver");
        Requirements.onPath("skopeo", "umoci");
        BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        registry = TestRegistry.start(config.withEvents(config.events().withPrivateTargets(true))); // loopback receivers
        Identities identities = new Identities(registry.server().database());
        identities.users().create("alice", "alice-password", false);
        identities.users().create("bob", "bob-password", false);
        browser = chromium(dir.resolve("chromium-profile"));
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.ignoring(StaleElementReferenceException.class);
        Files.createDirectories(SCREENSHOTS);
    }

    /** Headless Chromium from Debian; Selenium Manager stays offline and downloads nothing. */
    private static WebDriver chromium(Path profile) {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        System.setProperty("SE_OFFLINE", "true");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1280,1000", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void aNewUserSignsInCreatesAnOrganizationAndARobotPushesAndInspectsTheImage() throws Exception {
        String base = registry.baseUri().toString().replaceAll("/$", "");

        // Anonymous: sent to sign in, and back to the page asked for.
        browser.get(base + "/");
        waitForTitle("Sign in");
        screenshot("01-sign-in");
        accessible("sign-in");
        browser.findElement(By.id("username")).sendKeys("alice");
        browser.findElement(By.id("password")).sendKeys("wrong-password");
        browser.findElement(By.id("signin")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=alert]")).getText()
                .contains("The user name or password is not right."));
        browser.findElement(By.id("password")).sendKeys("alice-password");
        browser.findElement(By.id("signin")).click();
        waitForTitle("Dashboard");
        assertThat(browser.findElement(By.className("who")).getText()).contains("alice");

        // An organization, from the dashboard.
        browser.findElement(By.cssSelector("details summary")).click();
        browser.findElement(By.id("org-name")).sendKeys("acme");
        screenshot("02-dashboard");
        accessible("dashboard");
        browser.findElement(By.id("create-org")).click();
        waitForTitle("acme");

        // The organization's page is split into tabs, each a link of its own: members and teams on one.
        tab("Teams and permissions");
        waitForTitle("acme");
        wait.until(d -> d.getCurrentUrl().endsWith("/org/acme/teams"));

        // A team that may create repositories, with bob in it.
        browser.findElement(By.id("team-name")).sendKeys("developers");
        new Select(browser.findElement(By.id("team-role"))).selectByValue("creator");
        browser.findElement(By.id("team-description")).sendKeys("Build and push the apps");
        browser.findElement(By.id("create-team")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("Team developers was created."));
        browser.findElement(By.id("team-user-developers")).sendKeys("bob");
        browser.findElement(By.id("team-user-developers")).submit();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("bob is now in team developers."));
        WebElement team = browser.findElement(By.cssSelector(".team"));
        assertThat(team.getText()).contains("developers", "creator", "bob");
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()",
                browser.findElement(By.xpath("//h2[text()='Teams']")));
        screenshot("02b-organization-team");
        accessible("organization");

        // A robot: its token is shown once.
        tab("Robots");
        wait.until(d -> d.getCurrentUrl().endsWith("/org/acme/robots"));
        browser.findElement(By.id("robot-name")).sendKeys("ci");
        browser.findElement(By.id("create-robot")).click();
        String token = wait.until(d -> d.findElement(By.id("secret"))).getText();
        assertThat(token).startsWith("bollard_robot_");
        screenshot("03-robot-token");
        // The robots table: each row's cells line up with the header's (an action cell that was itself a flex box
        // left the table's layout and pushed the rows out of line).
        assertColumnsAligned("robots");

        // A repository for the robot, and write permission on it (robots do not create repositories by pushing).
        createRepository("acme/app");
        tab("Permissions");
        waitForTitle("Permissions of acme/app");
        new Select(browser.findElement(By.id("kind"))).selectByValue("robot");
        browser.findElement(By.id("grantee")).sendKeys("acme+ci");
        new Select(browser.findElement(By.id("role"))).selectByValue("write");
        browser.findElement(By.id("grant")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("acme+ci now has write"));
        assertThat(browser.findElement(By.id("grants")).getText()).contains("acme+ci", "write");
        // The same tab answers what the robot may do, everything counted.
        browser.findElement(By.id("who")).sendKeys("acme+ci");
        browser.findElement(By.id("check-effective")).click();
        wait.until(d -> d.findElement(By.id("effective")).getText()
                .contains("acme+ci has write permission on acme/app: pull and push."));
        screenshot("04-repository-permissions");
        accessible("repository permissions");
        tab("Settings");
        waitForTitle("Settings of acme/app");
        accessible("repository settings");
        // A description (Markdown) and labels, from the settings tab; shown on the overview.
        browser.findElement(By.id("description-text")).sendKeys("# The app\n\nBuilt by **CI**; see [docs](https://example.com).");
        browser.findElement(By.id("save-description")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText()
                .contains("The description of acme/app was saved."));
        browser.findElement(By.id("labels-text")).sendKeys("team=payments\nstable");
        browser.findElement(By.id("save-labels")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("acme/app"));
        accessible("repository settings with a description");
        tab("Tags");
        waitForTitle("acme/app");
        assertThat(browser.findElement(By.cssSelector("#description strong")).getText()).isEqualTo("CI");
        assertThat(browser.findElement(By.id("labels")).getText()).contains("team=payments", "stable");
        accessible("repository overview with description and labels");

        // The list of organizations, from the main navigation.
        browser.findElement(By.linkText("Organizations")).click();
        waitForTitle("Organizations");
        assertThat(browser.findElement(By.id("organizations")).getText()).contains("acme", "owner");
        accessible("organizations");

        // skopeo pushes as the robot.
        Path layout = image();
        Skopeo skopeo = new Skopeo(dir);
        String target = "docker://" + registry.hostPort() + "/acme/app:latest";
        ok(skopeo.copy("--dest-creds", "acme+ci:" + token, "oci:" + layout + ":v1", target));

        // Found by searching, as typed (htmx searches while typing).
        browser.findElement(By.linkText("Repositories")).click();
        waitForTitle("Repositories");
        browser.findElement(By.id("q")).sendKeys("app");
        wait.until(d -> d.getCurrentUrl().contains("q=app")); // htmx pushes the search into the address
        wait.until(d -> d.findElement(By.cssSelector("#results a.repo-link")).getText().equals("acme/app"));
        screenshot("05-repository-search");
        wait.until(d -> { // the list may still be swapped under the click
            d.findElement(By.cssSelector("#results a.repo-link")).click();
            return true;
        });
        waitForTitle("acme/app");
        String tags = wait.until(d -> d.findElement(By.id("tags"))).getText();
        assertThat(tags).contains("latest", "acme+ci");
        assertThat(browser.findElement(By.id("pull-command")).getText())
                .isEqualTo("podman pull " + registry.hostPort() + "/acme/app:latest");
        screenshot("06-repository");
        accessible("repository");
        // docker instead of podman: the choice shows docker's commands, by tag and by digest; Copy copies one.
        browser.findElement(By.id("client-docker")).click();
        wait.until(d -> d.findElement(By.id("pull-docker")).isDisplayed());
        assertThat(browser.findElement(By.id("pull-docker")).getText())
                .isEqualTo("docker pull " + registry.hostPort() + "/acme/app:latest");
        assertThat(browser.findElement(By.id("pull-docker-digest")).getText())
                .startsWith("docker pull " + registry.hostPort() + "/acme/app@sha256:");
        assertThat(browser.findElement(By.id("pull-command")).isDisplayed()).isFalse();
        browser.findElement(By.cssSelector("button[data-copy='pull-docker']")).click();
        wait.until(d -> "true".equals(d.findElement(By.cssSelector("button[data-copy='pull-docker']"))
                .getAttribute("data-copied")));
        screenshot("06b-pull-docker");
        accessible("repository with docker chosen");

        // The tag's layers and the history of its build.
        browser.findElement(By.linkText("latest")).click();
        waitForTitle("acme/app:latest");
        List<WebElement> layers = browser.findElements(By.cssSelector("#layers tbody tr"));
        assertThat(layers).hasSize(2);
        assertThat(browser.findElement(By.id("history-steps")).getText())
                .contains("COPY hello.txt /hello.txt", "COPY data.bin /data.bin");
        assertThat(browser.findElements(By.cssSelector(".layer-size"))).allSatisfy(
                size -> assertThat(size.getText()).matches("[0-9.]+ (B|KiB|MiB)"));
        String firstDigest = browser.findElement(By.id("digest")).getText();
        screenshot("07-tag-details");
        accessible("tag details");

        // A second push moves the tag; the history shows both assignments, by whom.
        ok(skopeo.copy("--dest-creds", "acme+ci:" + token, "oci:" + layout + ":v2", target));
        browser.findElement(By.partialLinkText("acme/app")).click();
        waitForTitle("acme/app");
        tab("History");
        waitForTitle("History of acme/app");
        List<WebElement> history = browser.findElements(By.cssSelector("#history tbody tr"));
        assertThat(history).hasSize(2);
        assertThat(history.get(0).getText()).contains("latest", "current", "acme+ci");
        assertThat(history.get(1).findElement(By.tagName("a")).getAttribute("title")).isEqualTo(firstDigest);
        screenshot("08-tag-moved");

        // One click restores the earlier image from the time machine.
        browser.findElement(By.cssSelector("#history button.restore")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText()
                .contains("latest points at " + firstDigest.substring(0, "sha256:".length() + 12) + " again."));
        List<WebElement> restored = browser.findElements(By.cssSelector("#history tbody tr"));
        assertThat(restored).hasSize(3);
        assertThat(restored.get(0).getText()).contains("latest", "current", "alice"); // the restore is alice's
        screenshot("11-tag-restored");
        accessible("repository history");
        tab("Tags");
        waitForTitle("acme/app");
        assertThat(browser.findElement(By.cssSelector("#tags td.mono")).getAttribute("title")).isEqualTo(firstDigest);

        // The organization's audit log names the robot's pushes and the moved tag.
        registry.server().audit().flush(5_000);
        browser.get(base + "/org/acme/audit?repository=acme/app");
        waitForTitle("Audit log of acme");
        String audit = browser.findElement(By.id("audit")).getText();
        assertThat(audit).contains("acme+ci", "push", "tag.move", "tag.create", "permission.set", "alice",
                "tag.restore");
        screenshot("10-audit-log");
        accessible("audit log");
        // The organization's life cycle: keep a month of tag history, and only the last 10 pull-request tags.
        browser.get(base + "/org/acme/usage");
        waitForTitle("acme");
        assertThat(browser.findElement(By.id("usage-chart")).getText()).contains("acme/app");
        // Pushes and pulls per day: the chart's name and description in words, today's row in its table.
        WebElement activity = browser.findElement(By.id("activity-chart"));
        assertThat(activity.getAttribute("role")).isEqualTo("img");
        assertThat(browser.findElement(By.id("activity-desc")).getAttribute("textContent"))
                .contains("tags pushed and", "the busiest day was");
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()", activity);
        screenshot("13-organization-usage");
        accessible("organization usage");
        tab("Settings");
        wait.until(d -> d.getCurrentUrl().endsWith("/org/acme/settings"));
        browser.findElement(By.id("window-input")).sendKeys("30d");
        browser.findElement(By.id("set-window")).click();
        wait.until(d -> d.findElement(By.id("window")).getText().equals("30d"));
        browser.findElement(By.id("retention-pattern")).clear();
        browser.findElement(By.id("retention-pattern")).sendKeys("pr-*");
        browser.findElement(By.id("retention-last")).sendKeys("10");
        browser.findElement(By.id("add-retention")).click();
        wait.until(d -> d.findElement(By.id("retention")).getText().contains("pr-*"));
        assertThat(browser.findElement(By.id("quota")).getText()).contains("Using", "no quota set");
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()",
                browser.findElement(By.xpath("//h2[text()='Storage quota']")));
        screenshot("12-organization-lifecycle");
        accessible("organization life cycle");
        // Dark mode follows the system setting (here emulated), with the same contrast.
        ChromeDriver chrome = (ChromeDriver) browser;
        chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.get(base + "/repo/acme/app");
        waitForTitle("acme/app");
        assertThat(((JavascriptExecutor) browser).executeScript(
                "return getComputedStyle(document.documentElement).backgroundColor")).isEqualTo("rgb(15, 20, 25)");
        screenshot("14-dark-mode");
        accessible("repository, dark");
        for (String page : List.of("/org/acme/teams", "/org/acme/usage", "/org/acme/settings", "/repo/acme/app/-/history",
                "/repo/acme/app/-/permissions?who=acme%2Bci", "/orgs", "/org/acme/audit", "/org/acme/robots/ci")) {
            browser.get(base + page);
            wait.until(d -> d.findElement(By.id("main")));
            accessible(page + ", dark");
        }
        screenshot("15-dark-mode-audit");
        chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "light"))));
        browser.get(base + "/repo/acme/app");
        waitForTitle("acme/app");

        // On a phone-sized screen the page still reads (and nothing scrolls sideways but the tables).
        browser.manage().window().setSize(new Dimension(390, 844));
        browser.navigate().refresh();
        waitForTitle("acme/app");
        Long overflow = (Long) ((JavascriptExecutor) browser).executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertThat(overflow).isLessThanOrEqualTo(0L);
        screenshot("09-narrow-screen");
        accessible("narrow repository");
        // The organization's seven tabs wrap onto more lines instead of scrolling sideways.
        browser.get(base + "/org/acme/usage");
        waitForTitle("acme");
        Long tabsOverflow = (Long) ((JavascriptExecutor) browser).executeScript(
                "const t = document.querySelector('nav.tabs ul'); return t.scrollWidth - t.clientWidth;");
        assertThat(tabsOverflow).as("the tab bar scrolls sideways").isLessThanOrEqualTo(0L);
        assertThat(browser.findElement(By.xpath("//nav[@class='tabs']//a[text()='Audit log']")).isDisplayed()).isTrue();
        screenshot("09b-narrow-organization-tabs");
        accessible("narrow organization usage");
        browser.manage().window().setSize(new Dimension(1280, 1000));

        // Keyboard: the first Tab reaches the skip link, which is then visible.
        browser.findElement(By.tagName("body")).sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to content");

        // Signing out ends the session.
        browser.findElement(By.cssSelector("form[action='/signout'] button")).click();
        waitForTitle("Sign in");
        browser.get(base + "/repo/acme/app");
        waitForTitle("Sign in");
    }

    @Test
    void anAdministratorAddsAWebhookSeesItsDeliveriesAndRedeliversOne() throws Exception {
        String base = registry.baseUri().toString().replaceAll("/$", "");
        new Identities(registry.server().database()).organizations().create("acme", "alice");
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answer(n -> 200);
            browser.get(base + "/signin?next=/org/acme/webhooks");
            browser.findElement(By.id("username")).sendKeys("alice");
            browser.findElement(By.id("password")).sendKeys("alice-password");
            browser.findElement(By.id("signin")).click();
            waitForTitle("Webhooks of acme");
            assertThat(browser.findElement(By.cssSelector("nav.tabs a[aria-current=page]")).getText()).isEqualTo("Webhooks");
            accessible("organization webhooks, none yet");

            // A signed HTTP webhook for repository creations: its secret is shown once.
            browser.findElement(By.id("webhook-url")).sendKeys(receiver.url());
            new Select(browser.findElement(By.id("webhook-format"))).selectByValue("cloudevents");
            browser.findElement(By.cssSelector("input[name=event_types][value='repository.created']")).click();
            browser.findElement(By.id("create-webhook")).click();
            String secret = wait.until(d -> d.findElement(By.id("secret"))).getText();
            receiver.secret(secret);
            assertThat(browser.findElement(By.id("webhooks")).getText()).contains(receiver.url(), "cloudevents",
                    "repository.created", "enabled", "none yet");
            screenshot("16-webhook-created");
            accessible("organization webhooks with a new secret");

            // A repository created in acme is delivered to the receiver, signed.
            createRepository("acme/app");
            WebhookReceiver.Delivery delivered = receiver.await(1, Duration.ofSeconds(30)).getFirst();
            assertThat(delivered.signatureValid()).isTrue();
            assertThat(delivered.body()).contains("dev.bollard.repository.created", "acme/app");

            // The delivery log shows it (the worker records the attempt once the receiver answered); redeliver it.
            browser.get(base + "/org/acme/webhooks");
            browser.findElement(By.cssSelector("#webhooks td a")).click();
            wait.until(d -> d.getCurrentUrl().matches(".*/org/acme/webhooks/[0-9]+"));
            waitForTitle("Deliveries of webhook " + browser.getCurrentUrl().replaceAll(".*/", ""));
            wait.until(d -> {
                d.navigate().refresh();
                return d.findElements(By.cssSelector("#deliveries tbody tr")).size() == 1;
            });
            assertThat(browser.findElement(By.id("deliveries")).getText()).contains("repository.created", "HTTP 200");
            browser.findElement(By.cssSelector("#deliveries button")).click();
            wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("is sent again"));
            receiver.await(2, Duration.ofSeconds(30));
            String log = browser.getCurrentUrl();
            wait.until(d -> {
                d.get(log);
                return d.findElements(By.cssSelector("#deliveries tbody tr")).size() == 2;
            });
            screenshot("17-webhook-deliveries");
            accessible("webhook delivery log");
            String id = log.replaceAll(".*/", "");
            browser.findElement(By.cssSelector("#deliveries td a")).click();
            wait.until(d -> d.getTitle().startsWith("Delivery ") && d.getTitle().endsWith(" of webhook " + id + " · Bollard"));
            assertThat(browser.findElement(By.id("request-headers")).getText()).contains("Bollard-Signature");
            accessible("one webhook delivery in full");
            browser.get(log + "/edit");
            waitForTitle("Edit webhook " + id);
            browser.findElement(By.id("edit-timeout")).clear();
            browser.findElement(By.id("edit-timeout")).sendKeys("4.5");
            browser.findElement(By.id("save-webhook")).click();
            wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("was saved"));
            assertThat(browser.findElement(By.id("edit-timeout")).getDomProperty("value")).isEqualTo("4.5");
            accessible("webhook settings");
            browser.get(base + "/repo/acme/app/-/webhooks");
            waitForTitle("Webhooks of acme/app");
            accessible("repository webhooks");

            ChromeDriver chrome = (ChromeDriver) browser;
            chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                    List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
            browser.get(log);
            wait.until(d -> d.findElement(By.id("deliveries")));
            accessible("webhook delivery log, dark");
            browser.findElement(By.cssSelector("#deliveries td a")).click();
            wait.until(d -> d.findElement(By.id("request-body")));
            accessible("one webhook delivery in full, dark");
            browser.get(log + "/edit");
            wait.until(d -> d.findElement(By.id("edit-webhook-form")));
            accessible("webhook settings, dark");
            browser.get(base + "/org/acme/webhooks");
            wait.until(d -> d.findElement(By.id("webhooks")));
            screenshot("18-webhooks-dark");
            accessible("organization webhooks, dark");
        }
    }

    @Test
    void anAdministratorReadsAScannedImagesVulnerabilitiesAndSetsThePullPolicy() throws Exception {
        String base = registry.baseUri().toString().replaceAll("/$", "");
        new Identities(registry.server().database()).organizations().create("acme", "alice");
        // A Debian 12 image made by umoci whose glibc DSA-5514-1 affects, scanned on push against that advisory.
        Path osv = Files.createDirectories(dir.resolve("osv"));
        Files.copy(ScanFixtures.OSV.resolve("DSA-5514-1.json"), osv.resolve("DSA-5514-1.json"));
        new VulnerabilityStore(registry.server().database()).importPath(osv);
        Path layout = ScanFixtures.umociImage(Files.createDirectories(dir.resolve("scan-image")),
                ScanFixtures.debian12(""));
        ok(new Skopeo(dir).copy("--dest-creds", "alice:alice-password", "oci:" + layout + ":v1",
                "docker://" + registry.hostPort() + "/acme/debian:v1"));

        browser.get(base + "/signin?next=/repo/acme/debian");
        browser.findElement(By.id("username")).sendKeys("alice");
        browser.findElement(By.id("password")).sendKeys("alice-password");
        browser.findElement(By.id("signin")).click();
        waitForTitle("acme/debian");
        wait.until(d -> {
            d.navigate().refresh();
            return d.findElement(By.id("tags")).getText().contains("1 unknown");
        });
        screenshot("19-tags-scanned");
        accessible("tags with their scans");
        browser.findElement(By.cssSelector("#tags a.scan-link")).click();
        wait.until(d -> d.findElement(By.id("findings")));
        assertThat(browser.findElement(By.id("findings")).getText()).contains("DSA-5514-1", "libc6", "2.36-9+deb12u3");
        new Select(browser.findElement(By.id("severity"))).selectByValue("high");
        browser.findElement(By.id("apply-filter")).click();
        wait.until(d -> d.findElement(By.id("no-findings")));
        browser.findElement(By.id("fixable")).click();
        new Select(browser.findElement(By.id("severity"))).selectByValue("");
        browser.findElement(By.id("apply-filter")).click();
        wait.until(d -> d.findElement(By.id("findings")));
        screenshot("20-vulnerabilities");
        accessible("an image's vulnerabilities");

        browser.get(base + "/org/acme/settings");
        waitForTitle("acme");
        new Select(browser.findElement(By.id("scan-policy-severity"))).selectByValue("unknown");
        browser.findElement(By.id("scan-policy-save")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("now refuse images"));
        browser.findElement(By.id("scan-allow-id")).sendKeys("CVE-2023-4911");
        browser.findElement(By.id("scan-allow-expires")).sendKeys("01312099");
        browser.findElement(By.id("scan-allow-reason")).sendKeys("not exploitable here");
        browser.findElement(By.id("scan-allow-add")).click();
        wait.until(d -> d.findElement(By.id("scan-allow-list")));
        screenshot("21-organization-scan-policy");
        accessible("an organization's pull policy");
        browser.get(base + "/repo/acme/debian/-/settings");
        wait.until(d -> d.findElement(By.id("scan-policy-form")));
        accessible("a repository's pull policy");

        ChromeDriver chrome = (ChromeDriver) browser;
        chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.get(base + "/repo/acme/debian");
        wait.until(d -> d.findElement(By.id("tags")));
        accessible("tags with their scans, dark");
        browser.findElement(By.cssSelector("#tags a.scan-link")).click();
        wait.until(d -> d.findElement(By.id("findings")));
        screenshot("22-vulnerabilities-dark");
        accessible("an image's vulnerabilities, dark");
        browser.get(base + "/org/acme/settings");
        wait.until(d -> d.findElement(By.id("scan-allow-list")));
        accessible("an organization's pull policy, dark");

        // A superuser's usage page of the whole registry, with the push above in its table and charts.
        new Identities(registry.server().database()).users().create("root", "root-password", true);
        browser.findElement(By.cssSelector("form[action='/signout'] button")).click();
        waitForTitle("Sign in");
        browser.get(base + "/signin?next=/admin/usage");
        browser.findElement(By.id("username")).sendKeys("root");
        browser.findElement(By.id("password")).sendKeys("root-password");
        browser.findElement(By.id("signin")).click();
        waitForTitle("Usage of the registry");
        assertThat(browser.findElement(By.id("namespaces")).getAttribute("textContent")).contains("acme");
        accessible("the registry's usage, dark");
        chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "light"))));
        browser.navigate().refresh();
        waitForTitle("Usage of the registry");
        accessible("the registry's usage");
    }

    /**
     * A superuser makes an organization a proxy of this registry (over loopback, with its own credentials) from the
     * organization's Proxy tab and a repository a mirror from its Mirror tab; the proxy's tab counts what skopeo pulled
     * through it, the mirror's shows its first sync and then a "Sync now". Each page, and the superusers' list of both,
     * passes axe in light and dark mode.
     */
    @Test
    void aSuperuserSetsUpAProxyOrganizationAndAMirror() throws Exception {
        String base = registry.baseUri().toString().replaceAll("/$", "");
        String self = "http://" + registry.hostPort();
        Identities identities = new Identities(registry.server().database());
        identities.users().create("root", "root-password", true);
        identities.organizations().create("acme", "alice");
        identities.organizations().create("hub", "alice");
        identities.repositories().setVisibility("acme/copy", false);
        dev.bollard.clients.OciLayout layout = dev.bollard.clients.OciLayout.create(dir.resolve("upstream"));
        layout.writeTagged("v1", "hello.txt", "one");
        layout.writeTagged("v2", "hello.txt", "two");
        Skopeo skopeo = new Skopeo(dir);
        for (String tag : List.of("v1", "v2")) {
            ok(skopeo.copy("--dest-creds", "root:root-password", "oci:" + layout.root() + ":" + tag,
                    "docker://" + registry.hostPort() + "/acme/app:" + tag));
        }
        browser.get(base + "/signin?next=/org/hub/proxy");
        browser.findElement(By.id("username")).sendKeys("root");
        browser.findElement(By.id("password")).sendKeys("root-password");
        browser.findElement(By.id("signin")).click();
        waitForTitle("Proxy of hub");
        assertThat(browser.findElement(By.cssSelector("nav.tabs a[aria-current=page]")).getText()).isEqualTo("Proxy");
        accessible("an ordinary organization's proxy tab");

        browser.findElement(By.id("proxy-url-field")).sendKeys(self);
        browser.findElement(By.id("proxy-prefix")).sendKeys("acme");
        browser.findElement(By.id("proxy-username")).sendKeys("root");
        browser.findElement(By.id("proxy-password")).sendKeys("root-password");
        browser.findElement(By.id("proxy-fallbacks")).sendKeys("https://mirror.example");
        browser.findElement(By.id("proxy-cache-max")).sendKeys("20GiB");
        browser.findElement(By.id("proxy-expiry")).sendKeys("30");
        browser.findElement(By.id("proxy-rate-minute")).sendKeys("600");
        browser.findElement(By.id("save-proxy")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("hub is a proxy of"));
        ok(skopeo.cmd("inspect", "--raw", "--creds", "root:root-password",
                "docker://" + registry.hostPort() + "/hub/app:v1"));
        // The image, and then its referrers (the upstream scanned it on push: SBOMs), which are fetched after it in
        // the background: one image at least, more once they arrived.
        wait.until(d -> {
            d.navigate().refresh();
            return d.findElement(By.id("proxy-cache-use")).getText().matches("[1-9][0-9]* images?\\b.*");
        });
        assertThat(browser.findElement(By.id("proxy-facts")).getText()).contains(self, "https://mirror.example/",
                "user root, password set (never shown)", "at most 20 GiB", "600 requests a minute");
        screenshot("23-proxy-organization");
        accessible("a proxy organization's tab");

        browser.get(base + "/repo/acme/copy/-/mirror");
        waitForTitle("Mirror of acme/copy");
        accessible("an ordinary repository's mirror tab");
        browser.findElement(By.id("mirror-url")).sendKeys(self);
        browser.findElement(By.id("mirror-upstream-repository")).sendKeys("acme/app");
        browser.findElement(By.id("mirror-username")).sendKeys("root");
        browser.findElement(By.id("mirror-password")).sendKeys("root-password");
        browser.findElement(By.id("mirror-interval")).clear();
        browser.findElement(By.id("mirror-interval")).sendKeys("6h");
        browser.findElement(By.id("mirror-globs")).sendKeys("v*");
        browser.findElement(By.id("mirror-deletions")).click();
        browser.findElement(By.id("save-mirror")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("acme/copy mirrors acme/app"));
        wait.until(d -> {
            d.navigate().refresh();
            return d.findElements(By.id("mirror-runs")).size() == 1
                    && d.findElement(By.id("mirror-runs")).getText().contains("succeeded");
        });
        browser.findElement(By.id("sync-mirror")).click();
        wait.until(d -> d.findElement(By.cssSelector("[role=status]")).getText().contains("starts in a moment"));
        wait.until(d -> {
            d.navigate().refresh();
            return d.findElements(By.cssSelector("#mirror-runs tbody tr")).size() == 2
                    && d.findElement(By.cssSelector("#mirror-runs tbody tr")).getText().contains("succeeded");
        });
        assertThat(browser.findElement(By.id("mirror-runs")).getText()).contains("requested", "scheduled",
                "2 copied", "2 unchanged");
        screenshot("24-mirror-syncs");
        accessible("a mirror's tab with its syncs");
        browser.get(base + "/admin/upstreams");
        waitForTitle("Proxies and mirrors");
        assertThat(browser.findElement(By.id("proxies")).getText()).contains("hub");
        assertThat(browser.findElement(By.id("mirrors")).getText()).contains("acme/copy", "every 6h");
        accessible("the registry's proxies and mirrors");

        ChromeDriver chrome = (ChromeDriver) browser;
        chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.navigate().refresh();
        wait.until(d -> d.findElement(By.id("mirrors")));
        accessible("the registry's proxies and mirrors, dark");
        browser.get(base + "/org/hub/proxy");
        wait.until(d -> d.findElement(By.id("proxy-facts")));
        accessible("a proxy organization's tab, dark");
        browser.get(base + "/repo/acme/copy/-/mirror");
        wait.until(d -> d.findElement(By.id("mirror-runs")));
        screenshot("25-mirror-dark");
        accessible("a mirror's tab, dark");
    }

    /** An OCI layout with {@code :v1} (two layers) and {@code :v2} (one more file in the second layer), by umoci. */
    private Path image() throws IOException {
        Exec umoci = new Exec(dir);
        Path layout = dir.resolve("layout");
        Path hello = Files.writeString(dir.resolve("hello.txt"), "hello from the web UI test\n");
        Path data = dir.resolve("data.bin");
        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        Files.write(data, bytes);
        umoci.ok("umoci", "init", "--layout", layout.toString());
        umoci.ok("umoci", "new", "--image", layout + ":v1");
        umoci.ok("umoci", "insert", "--image", layout + ":v1", "--history.created_by", "COPY hello.txt /hello.txt",
                hello.toString(), "/hello.txt");
        umoci.ok("umoci", "insert", "--image", layout + ":v1", "--history.created_by", "COPY data.bin /data.bin",
                data.toString(), "/data.bin");
        umoci.ok("umoci", "config", "--image", layout + ":v1", "--tag", "v2", "--config.label", "version=2");
        return layout;
    }

    private static void ok(Exec.Result result) {
        assertThat(result.ok()).as(result.describe()).isTrue();
    }

    /** Creates {@code name} from the Repositories page's form, and waits for the repository's page. */
    private void createRepository(String name) {
        browser.findElement(By.linkText("Repositories")).click();
        waitForTitle("Repositories");
        browser.findElement(By.cssSelector("#create summary")).click();
        browser.findElement(By.id("repo-name")).sendKeys(name);
        browser.findElement(By.id("create-repository")).click();
        waitForTitle(name);
    }

    /** Follows the tab named {@code label} of the page's tabs (each a link of its own). */
    private void tab(String label) {
        wait.until(d -> {
            d.findElement(By.xpath("//nav[@class='tabs']//a[text()='" + label + "']")).click();
            return true;
        });
    }

    /** The left edge of each cell of the table's first row is that of its column's header. */
    private void assertColumnsAligned(String tableId) {
        List<WebElement> headers = browser.findElements(By.cssSelector("#" + tableId + " thead th"));
        List<WebElement> cells = browser.findElements(By.cssSelector("#" + tableId + " tbody tr:first-child > td"));
        assertThat(cells).hasSameSizeAs(headers);
        for (int i = 0; i < headers.size(); i++) {
            assertThat(cells.get(i).getRect().getX()).as("column " + i + " of " + tableId)
                    .isEqualTo(headers.get(i).getRect().getX());
        }
    }

    private void waitForTitle(String title) {
        wait.until(d -> d.getTitle().equals(title + " · Bollard"));
    }

    /** axe-core's WCAG 2.1 A and AA rules (labels, contrast, names, structure) find nothing on the current page. */
    private void accessible(String page) {
        com.deque.html.axecore.results.Results results = new com.deque.html.axecore.selenium.AxeBuilder()
                .withTags(List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")).analyze(browser);
        StringBuilder found = new StringBuilder();
        for (com.deque.html.axecore.results.Rule rule : results.getViolations()) {
            found.append(rule.getId()).append(": ").append(rule.getHelp()).append('\n');
            rule.getNodes().forEach(n -> found.append("    ").append(n.getHtml()).append('\n'));
        }
        assertThat(results.getViolations()).as("accessibility of the " + page + " page:\n" + found).isEmpty();
        assertThat(results.getPasses()).as("axe ran its rules").isNotEmpty();
    }

    private void screenshot(String name) throws IOException {
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
