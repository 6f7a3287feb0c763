package io.picrypt.client.ui;

import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.face.Recapture;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.picrypt.match.MatchParameters;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.openqa.selenium.Keys;
import org.openqa.selenium.interactions.Actions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The page in a real browser: headless Chromium through chromedriver (Debian's chromium and chromium-driver,
 * installed by .ci/run), against a real PiCrypt server and UI server on loopback. Skips when they are absent.
 * Screenshots go to target/ui-screenshots/.
 */
class UiBrowserTest {
    static final Path SHOTS = Path.of("target", "ui-screenshots");

    @TempDir
    static Path data;
    @TempDir
    static Path uploads;
    static UiFixture f;
    static WebDriver driver;
    static WebDriverWait wait;

    static String executable(String env, String... candidates) {
        String e = System.getenv(env);
        if (e != null && Files.isExecutable(Path.of(e))) return e;
        for (String c : candidates) if (Files.isExecutable(Path.of(c))) return c;
        return null;
    }

    @BeforeAll
    static void start() throws Exception {
        String chromium = executable("CHROME_BIN", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        String chromedriver = executable("CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chromium != null && chromedriver != null, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        f = new UiFixture(data, new PlainDiffer());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,2600",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--no-first-run", "--disable-extensions");
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver)).usingAnyFreePort().build();
        driver = new ChromeDriver(svc, o);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (f != null) f.close();
    }

    /** A fresh page load (a fragment-only change would keep the previous page). */
    static void open(String url) {
        driver.get("about:blank");
        driver.get(url);
    }

    static Path upload(String name, byte[] png) throws Exception {
        return Files.write(uploads.resolve(name), png);
    }

    /** The whole page: the window is grown to the document's height first. */
    static void screenshot(String name) throws Exception {
        Number h = (Number) ((JavascriptExecutor) driver).executeScript("return document.documentElement.scrollHeight");
        driver.manage().window().setSize(new Dimension(1400, Math.min(8000, h.intValue() + 140)));
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name), png);
    }

    static WebElement done(String resultId) {
        return wait.until(d -> {
            WebElement r = d.findElement(By.id(resultId));
            String s = r.getDomAttribute("data-state");
            return "done".equals(s) || "error".equals(s) ? r : null;
        });
    }

    /** Chooses files on a picker and waits until each one's preview is done (face detection answered). */
    static void choose(String picker, Path... files) {
        WebElement input = driver.findElement(By.id(picker + "-file"));
        input.sendKeys(String.join("\n", Arrays.stream(files).map(p -> p.toAbsolutePath().toString()).toList()));
        wait.until(d -> {
            List<String> ready;
            try { // the previews are redrawn while detection answers: a figure may go stale between find and read
                ready = d.findElements(By.cssSelector("#" + picker + "-previews figure[data-ready]")).stream().map(WebElement::getText).toList();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
            return Arrays.stream(files).allMatch(p -> ready.stream().anyMatch(t -> t.startsWith(p.getFileName().toString())));
        });
    }

    static void type(String id, String text) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    @Test
    void enrollVerifyIdentifyAndDiffInTheBrowser() throws Exception {
        Path alice = upload("alice.png", f.people.get(0).png());
        Path aliceAgain = upload("alice-probe.png", f.genuineProbe(0));
        Path bob = upload("bob.png", f.people.get(1).png());
        Path group = UiFixture.modelsDir().resolve("samples/group-tracking.jpg");

        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        assertEquals(f.http.keyset(), driver.findElement(By.id("conn-keyset")).getText());
        assertFalse(driver.getCurrentUrl().contains(f.ui.token()), "the token is removed from the address bar");

        // enroll from a file; its preview shows one detected face
        type("enroll-name", "Alice");
        choose("enroll-picker", alice);
        assertEquals("1", driver.findElement(By.cssSelector("#enroll-picker-previews figure")).getDomAttribute("data-faces"));
        driver.findElement(By.id("enroll-submit")).click();
        WebElement enrolled = done("enroll-result");
        assertEquals("done", enrolled.getDomAttribute("data-state"), enrolled.getText());
        assertTrue(enrolled.getText().contains("Enrolled \"Alice\""), enrolled.getText());
        wait.until(d -> !d.findElements(By.cssSelector("#identities-list tr[data-name='Alice']")).isEmpty());

        // genuine: another view of the same face; Enter in the name field submits the card
        choose("verify-picker", aliceAgain);
        type("verify-name", "Alice");
        driver.findElement(By.id("verify-name")).sendKeys(Keys.ENTER);
        WebElement genuine = done("verify-result");
        assertEquals("match", genuine.getDomAttribute("data-decision"), genuine.getText());
        assertTrue(genuine.getText().contains("MATCH"));
        assertTrue(genuine.getText().contains("Distance computed on encrypted data by the server, decrypted here."));
        assertTrue(genuine.getText().contains("Threshold"));
        assertTrue(genuine.getText().contains("0 identical"), "the distance scale is labelled: " + genuine.getText());
        assertTrue(genuine.getText().contains("threshold: "), "the legend names the threshold line: " + genuine.getText());
        screenshot("verify-genuine.png");

        // impostor: somebody else
        choose("verify-picker", bob);
        driver.findElement(By.id("verify-submit")).click();
        wait.until(d -> "no-match".equals(d.findElement(By.id("verify-result")).getDomAttribute("data-decision")));
        assertTrue(driver.findElement(By.id("verify-result")).getText().contains("NO MATCH"));

        // identify among everyone enrolled
        choose("identify-picker", aliceAgain);
        driver.findElement(By.id("identify-submit")).click();
        WebElement id = done("identify-result");
        assertEquals("Alice", id.getDomAttribute("data-match"), id.getText());

        // several faces: a warning on the preview, the largest is used
        choose("identify-picker", group);
        WebElement fig = driver.findElement(By.cssSelector("#identify-picker-previews figure"));
        assertTrue(Integer.parseInt(fig.getDomAttribute("data-faces")) > 1);
        assertTrue(fig.getText().contains("the largest (green) will be used"), fig.getText());

        // image difference: photos of different sizes are refused as soon as both are chosen, before any upload
        choose("diff-before-picker", alice);
        choose("diff-after-picker", aliceAgain);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("diff-check")));
        assertTrue(driver.findElement(By.id("diff-check")).getText().contains("differ in size"));
        assertFalse(driver.findElement(By.id("diff-submit")).isEnabled());
        choose("diff-after-picker", upload("alice-marked.png", marked(f.people.get(0).png())));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("diff-check")));
        driver.findElement(By.id("diff-submit")).click();
        WebElement diff = done("diff-result");
        assertEquals("done", diff.getDomAttribute("data-state"), diff.getText());
        // the progress lines of the streamed answer reached the page
        assertEquals("plaintext difference (test double)", diff.getDomAttribute("data-phase"));
        for (String img : List.of("diff-img-before", "diff-img-after", "diff-img-difference")) {
            Object w = ((JavascriptExecutor) driver).executeScript("return document.getElementById(arguments[0]).naturalWidth", img);
            assertTrue(((Number) w).intValue() > 0, img + " is displayed");
        }
        for (String r : List.of("enroll-result", "verify-result", "identify-result", "diff-result")) {
            assertFalse(driver.findElement(By.id(r)).getText().lines().anyMatch(l -> l.equals("null") || l.equals("undefined")), r);
        }
        screenshot("ui-flow.png");

        // accessibility of the page with every kind of result on it
        List<Map<String, Object>> bad = axeViolations("page");
        assertTrue(bad.isEmpty(), "axe-core " + AxeCore.VERSION + " critical/serious violations: " + bad);
        // the check can fail: an unlabelled file input (what the old page had) is reported as critical
        ((JavascriptExecutor) driver).executeScript("const i = document.createElement('input'); i.type = 'file'; i.id = 'planted';"
                + " document.getElementById('verify-form').append(i);");
        List<Map<String, Object>> planted = axeViolations("planted");
        ((JavascriptExecutor) driver).executeScript("document.getElementById('planted').remove()");
        assertTrue(planted.stream().anyMatch(v -> "label".equals(v.get("id")) && "critical".equals(v.get("impact"))), String.valueOf(planted));

        // deleting Alice removes her results from the screen and says it worked
        By row = By.cssSelector("#identities-list tr[data-name='Alice']");
        driver.findElement(row).findElement(By.tagName("button")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("identities-msg"), "Deleted \"Alice\""));
        assertEquals("cleared", driver.findElement(By.id("verify-result")).getDomAttribute("data-state"));
        assertEquals("cleared", driver.findElement(By.id("identify-result")).getDomAttribute("data-state"));
    }

    /** axe-core run in the page: the violations of impact critical or serious (rule id, impact, targets); all of them in target/ui-screenshots/axe-LABEL.txt. */
    static List<Map<String, Object>> axeViolations(String label) throws Exception {
        return axeAll(label).stream().filter(v -> "critical".equals(v.get("impact")) || "serious".equals(v.get("impact"))).toList();
    }

    /** axe-core run in the page: every violation, of any impact (also written to target/ui-screenshots/axe-LABEL.txt). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> axeAll(String label) throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        if (!Boolean.TRUE.equals(js.executeScript("return !!window.axe"))) js.executeScript(AxeCore.source() + "\n;return 1;");
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(120));
        Object r = ((JavascriptExecutor) driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
                + " help: v.help, targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))), e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));");
        List<Map<String, Object>> all = (List<Map<String, Object>>) r;
        Files.writeString(SHOTS.resolve("axe-" + label + ".txt"), String.valueOf(all) + "\n");
        return all;
    }

    /** The same photo with a grey square painted on it (same size: a valid 'after' for the difference). */
    static byte[] marked(byte[] png) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        var g = img.createGraphics();
        g.setColor(java.awt.Color.GRAY);
        g.fillRect(img.getWidth() / 4, img.getHeight() / 4, img.getWidth() / 4, img.getHeight() / 4);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static final Path GROUP = UiFixture.modelsDir().resolve("samples/group-facedetection.jpg");

    /** The group photo shown on a framed screen (Recapture.Kind.SCREEN_FRAMED), which the liveness model refuses (FaceAnalysisUiTest). */
    static byte[] framedReplay(Path photo) {
        Mat replay = Recapture.make(imread(photo.toString()), Recapture.Kind.SCREEN_FRAMED);
        BytePointer buf = new BytePointer();
        assertTrue(imencode(".png", replay, buf));
        byte[] png = new byte[(int) buf.limit()];
        buf.get(png);
        return png;
    }

    /** The paths the page fetched since the last call (Resource Timing), in order. */
    @SuppressWarnings("unchecked")
    static List<String> fetched() {
        return (List<String>) ((JavascriptExecutor) driver).executeScript("const r = performance.getEntriesByType('resource')"
                + ".filter(e => e.initiatorType === 'fetch').map(e => new URL(e.name).pathname).filter(p => p !== '/api/status');"
                + " performance.clearResourceTimings(); return r;");
    }

    static List<String> column(String table, int col) {
        return driver.findElements(By.cssSelector("#" + table + " tbody tr td:nth-child(" + col + ")")).stream().map(WebElement::getText).toList();
    }

    @Test
    void everyFaceCardAndLivenessFirst() throws Exception {
        var person = f.people.stream().filter(p -> p.sourcePhoto().equals("group-facedetection.jpg")).findFirst().orElseThrow();
        String name = "Centre Person";
        f.session.enrollImages(name, List.of(person.png()), true);
        Path replay = upload("group-replay.png", framedReplay(GROUP));
        Path other = UiFixture.modelsDir().resolve("samples/group-tracking.jpg");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        try {
            open(f.ui.url());
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
            assertEquals(Boolean.TRUE, js.executeScript("return window.fetch.toString().includes('[native code]')"),
                    "the liveness-first check is a plain call in app.js, not a wrapper around window.fetch");
            wait.until(d -> !d.findElements(By.cssSelector("#identities-list tr[data-name='" + name + "']")).isEmpty());

            // the labelled picker says what is chosen; the preview says every face will be identified
            choose("faces-picker", GROUP);
            assertEquals("1 photo chosen", driver.findElement(By.id("faces-picker-count")).getText());
            WebElement fig = driver.findElement(By.cssSelector("#faces-picker-previews figure"));
            assertEquals("4", fig.getDomAttribute("data-faces"));
            assertTrue(fig.getText().contains("4 faces found, each will be identified"), fig.getText());
            assertEquals("Group photo", driver.findElement(By.id("faces-picker-file")).getDomAttribute("aria-label"));

            // keyboard only: Tab from the file input reaches "Identify every face"; Enter submits the card
            js.executeScript("document.getElementById('faces-picker-file').focus()");
            for (int i = 0; i < 8 && !"faces-identify".equals(js.executeScript("return document.activeElement.id")); i++) {
                new Actions(driver).sendKeys(Keys.TAB).perform();
            }
            assertEquals("faces-identify", js.executeScript("return document.activeElement.id"), "Tab reaches the card's button");
            fetched();
            new Actions(driver).sendKeys(Keys.ENTER).perform();
            WebElement r = done("faces-result");
            assertEquals("done", r.getDomAttribute("data-state"), r.getText());
            assertEquals("4", r.getDomAttribute("data-faces"));
            assertEquals(List.of("/api/identify-all"), fetched(), "one request for every face");
            List<String> names = column("faces-table", 2);
            assertEquals(4, names.size(), r.getText());
            // every face listed with its name or "unknown" (other tests' people, from another photo, may be enrolled too)
            assertEquals(1, names.stream().filter(name::equals).count(), names.toString());
            assertTrue(names.stream().allMatch(n -> !n.isBlank()), names.toString());
            assertTrue(names.contains("unknown"), names.toString());
            assertTrue(r.getText().contains("4 faces: "), r.getText());
            assertEquals("polite", r.getDomAttribute("aria-live"));
            assertTrue(((Number) js.executeScript("return document.getElementById('faces-canvas').width")).intValue() > 0);
            screenshot("faces-card.png");

            // accessibility with the card in its result state (and every other card as a newcomer finds them): no violation at all
            List<Map<String, Object>> bad = axeAll("faces-card");
            assertTrue(bad.isEmpty(), "axe-core " + AxeCore.VERSION + " violations: " + bad);

            // "Describe the faces": the local analyses, one line per face
            driver.findElement(By.id("faces-analyze")).click();
            wait.until(d -> "describe".equals(d.findElement(By.id("faces-result")).getDomAttribute("data-kind"))
                    && "done".equals(d.findElement(By.id("faces-result")).getDomAttribute("data-state")));
            List<WebElement> described = driver.findElements(By.cssSelector("#faces-list li"));
            assertEquals(4, described.size());
            assertTrue(described.get(0).getText().contains("age about"), described.get(0).getText());

            // liveness first, Verify: a screen replay is refused by /api/liveness and /api/verify is never called
            driver.findElement(By.id("verify-liveness")).sendKeys(Keys.SPACE);
            assertTrue(driver.findElement(By.id("verify-liveness")).isSelected());
            choose("verify-picker", replay);
            type("verify-name", name);
            fetched();
            driver.findElement(By.id("verify-name")).sendKeys(Keys.ENTER);
            r = done("verify-result");
            assertEquals("not_live", r.getDomAttribute("data-error"), r.getText());
            assertTrue(r.getText().contains("Nothing was sent") && r.getText().contains("not proof"), r.getText());
            assertEquals(List.of("/api/liveness"), fetched());
            // the hint is weak: the user may send it anyway, and then the liveness check is skipped once
            driver.findElement(By.id("verify-anyway")).click();
            // (the replay's face is then too small for the embedding: the verify route's own answer, not the liveness hint's)
            wait.until(d -> !"not_live".equals(d.findElement(By.id("verify-result")).getDomAttribute("data-error")));
            done("verify-result");
            assertEquals(List.of("/api/verify"), fetched());
            // a photo that passes: checked first, then sent, and the result says the hint passed and is only a hint
            choose("verify-picker", GROUP);
            fetched();
            driver.findElement(By.id("verify-submit")).click();
            wait.until(d -> !"not_live".equals(d.findElement(By.id("verify-result")).getDomAttribute("data-error")));
            r = done("verify-result");
            assertEquals("done", r.getDomAttribute("data-state"), r.getText());
            assertEquals(List.of("/api/liveness", "/api/verify"), fetched());
            String verified = driver.findElement(By.id("verify-result")).getText();
            assertTrue(verified.contains("Liveness hint: passed") && verified.contains("not proof") && verified.contains("0.65"), verified);
            // the same function guards Identify
            driver.findElement(By.id("identify-liveness")).click();
            choose("identify-picker", replay);
            fetched();
            driver.findElement(By.id("identify-submit")).click();
            r = done("identify-result");
            assertEquals("not_live", r.getDomAttribute("data-error"), r.getText());
            assertEquals(List.of("/api/liveness"), fetched());
            // unticked: no liveness call at all
            driver.findElement(By.id("identify-liveness")).click();
            driver.findElement(By.id("identify-submit")).click();
            wait.until(d -> !"not_live".equals(d.findElement(By.id("identify-result")).getDomAttribute("data-error")));
            done("identify-result");
            assertEquals(List.of("/api/identify"), fetched());

            // enrollment through the page asks first when a name looks like an enrolled one, or a photo shows several faces
            type("enroll-name", name + ".");
            choose("enroll-picker", GROUP);
            driver.findElement(By.id("enroll-name")).sendKeys(Keys.ENTER);
            r = done("enroll-result");
            assertEquals("lookalike_name", r.getDomAttribute("data-error"), r.getText());
            assertTrue(r.getText().contains("looks like \"" + name + "\""), r.getText());
            assertEquals("enroll-override", js.executeScript("return document.activeElement.id"));
            driver.findElement(By.id("enroll-override")).sendKeys(Keys.TAB, Keys.ENTER); // Cancel, by keyboard
            wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("enroll-result")));
            assertEquals("enroll-name", js.executeScript("return document.activeElement.id"));
            type("enroll-name", "Group Person");
            driver.findElement(By.id("enroll-name")).sendKeys(Keys.ENTER);
            r = done("enroll-result");
            assertEquals("several_faces", r.getDomAttribute("data-error"), r.getText());
            assertTrue(r.getText().contains("group-facedetection.jpg shows 4 faces"), r.getText());
            assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("Group Person") || i.name().equals(name + ".")), "nothing enrolled yet");
            // Cancel (enrolling the same face under a second name would compete for face #1 below)
            driver.findElement(By.id("enroll-override")).sendKeys(Keys.TAB, Keys.ENTER);
            wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("enroll-result")));
            assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("Group Person")));

            // results go when they no longer hold: the named person deleted ...
            driver.findElement(By.id("faces-identify")).click();
            wait.until(d -> "identify".equals(d.findElement(By.id("faces-result")).getDomAttribute("data-kind"))
                    && "done".equals(d.findElement(By.id("faces-result")).getDomAttribute("data-state")));
            driver.findElement(By.cssSelector("#identities-list tr[data-name='" + name + "'] button")).click();
            wait.until(ExpectedConditions.alertIsPresent()).accept();
            wait.until(ExpectedConditions.attributeToBe(By.id("faces-result"), "data-state", "cleared"));
            assertTrue(driver.findElement(By.id("faces-result")).getText().contains("was deleted"));
            // ... and a new photo chosen
            driver.findElement(By.id("faces-identify")).click();
            wait.until(ExpectedConditions.attributeToBe(By.id("faces-result"), "data-state", "done"));
            assertEquals(4, column("faces-table", 2).size());
            assertFalse(column("faces-table", 2).contains(name), "nobody is named after being deleted");
            choose("faces-picker", other);
            assertEquals("cleared", driver.findElement(By.id("faces-result")).getDomAttribute("data-state"));
            assertFalse(driver.findElement(By.id("faces-result")).isDisplayed());
            assertEquals("1 photo chosen", driver.findElement(By.id("faces-picker-count")).getText());
        } finally {
            for (String n : List.of(name, "Group Person")) if (f.http.list().stream().anyMatch(i -> i.name().equals(n))) f.http.delete(n);
        }
    }

    @Test
    void enrollmentSafetyRulesAskFirst() throws Exception {
        Path alice = upload("safe-alice.png", f.people.get(0).png());
        Path aliceAgain = upload("safe-alice-2.png", f.genuineProbe(0));
        Path bob = upload("safe-bob.png", f.people.get(1).png());
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));

        // two different people in one enrollment: refused, nothing stored, an explicit override offered
        type("enroll-name", "Mixed");
        choose("enroll-picker", alice, bob);
        assertEquals("2 photos chosen", driver.findElement(By.id("enroll-picker-count")).getText(), "the chooser says what is chosen");
        driver.findElement(By.id("enroll-submit")).click();
        WebElement r = done("enroll-result");
        assertEquals("mixed_photos", r.getDomAttribute("data-error"), r.getText());
        assertTrue(r.getText().contains("photo 1 and photo 2"), r.getText());
        screenshot("enroll-refused-mixed.png");
        assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("Mixed")), "nothing was enrolled");
        driver.findElement(By.id("enroll-override")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("enroll-result"), "data-state", "done"));
        assertTrue(driver.findElement(By.id("enroll-result")).getText().contains("enrolled anyway, as asked"));
        assertTrue(f.http.list().stream().anyMatch(i -> i.name().equals("Mixed")));

        // a name keeps its face: replacing Angie's templates with somebody else's face asks first
        driver.findElement(By.cssSelector("#enroll-picker button.link")).click();
        type("enroll-name", "Angie");
        choose("enroll-picker", alice, aliceAgain);
        driver.findElement(By.id("enroll-submit")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("enroll-result"), "data-state", "done"));
        driver.findElement(By.cssSelector("#enroll-picker button.link")).click();
        choose("enroll-picker", bob);
        assertTrue(driver.findElement(By.id("enroll-replace")).isSelected(), "replace is the default");
        driver.findElement(By.id("enroll-submit")).click();
        r = done("enroll-result");
        assertEquals("new_face", r.getDomAttribute("data-error"), r.getText());
        assertEquals("Replace anyway", driver.findElement(By.id("enroll-override")).getText());
        assertTrue(f.session.verifyPhoto("Angie", f.people.get(0).png(), "the photo").result().match(), "Angie's template is untouched");
        // adding (not replacing) somebody else's face asks too
        driver.findElement(By.id("enroll-replace")).click();
        driver.findElement(By.id("enroll-submit")).click();
        wait.until(d -> "Add anyway".equals(d.findElements(By.id("enroll-override")).stream().map(WebElement::getText).findFirst().orElse("")));
        assertEquals(1, f.http.list().stream().filter(i -> i.name().equals("Angie")).findFirst().orElseThrow().templates());
        driver.findElement(By.id("enroll-replace")).click();
        driver.findElement(By.id("enroll-submit")).click();
        wait.until(d -> "Replace anyway".equals(d.findElements(By.id("enroll-override")).stream().map(WebElement::getText).findFirst().orElse("")));
        driver.findElement(By.id("enroll-override")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("enroll-result"), "data-state", "done"));
        assertTrue(f.session.verifyPhoto("Angie", f.people.get(1).png(), "the photo").result().match(), "replaced after the explicit override");
        screenshot("enroll-safety.png");
    }

    @Test
    void limitsAreShownWhenPhotosAreChosen() throws Exception {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        assertTrue(driver.findElement(By.id("enroll-limits")).getText().contains("1 to 10 photos"));
        assertTrue(driver.findElement(By.id("enroll-limits")).getText().contains("64 MP"));
        Path[] twelve = new Path[12];
        for (int i = 0; i < 12; i++) twelve[i] = upload("many-" + i + ".png", f.people.get(4).png());
        driver.findElement(By.id("enroll-picker-file")).sendKeys(String.join("\n", Arrays.stream(twelve).map(p -> p.toAbsolutePath().toString()).toList()));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("enroll-picker-note"), "At most 10 photos"));
        assertTrue(driver.findElement(By.id("enroll-picker-note")).getText().contains("many-10.png, many-11.png were not added"));
        wait.until(d -> d.findElements(By.cssSelector("#enroll-picker-previews figure")).size() == 10);
        // "Show top" takes whole numbers 1..100 only
        for (String bad : List.of("0", "-3", "2.5", "1000")) {
            type("identify-top", bad);
            driver.findElement(By.id("identify-submit")).click();
            WebElement r = done("identify-result");
            assertTrue(r.getText().contains("whole number from 1 to 100"), bad + ": " + r.getText());
        }
    }

    @Test
    void phoneLayoutWithALongName() throws Exception {
        String longName = "Maximiliana" + "x".repeat(64 - "Maximiliana".length() - 3) + "END";
        assertEquals(64, longName.length());
        f.session.enrollImages(longName, List.of(f.people.get(5).png()), true);
        try {
            driver.manage().window().setSize(new Dimension(375, 1400));
            open(f.ui.url());
            By row = By.cssSelector("#identities-list tr[data-name='" + longName + "']");
            wait.until(ExpectedConditions.presenceOfElementLocated(row));
            JavascriptExecutor js = (JavascriptExecutor) driver;
            Number vw = (Number) js.executeScript("return window.innerWidth");
            assertTrue(vw.intValue() <= 400, "phone width: " + vw);
            Number overflow = (Number) js.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
            assertEquals(0, overflow.intValue(), "no sideways scrolling at " + vw + " px with a 64-character name");
            Number spill = (Number) js.executeScript("const t = document.querySelector('#identities table').getBoundingClientRect();"
                    + "const c = document.getElementById('identities').getBoundingClientRect(); return t.right - c.right;");
            assertTrue(spill.doubleValue() <= 0, "the identities table stays inside its card: " + spill);
            Number h = (Number) js.executeScript("return document.documentElement.scrollHeight");
            driver.manage().window().setSize(new Dimension(375, Math.min(8000, h.intValue() + 40)));
            assertEquals(0, ((Number) js.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth")).intValue());
            Files.write(SHOTS.resolve("phone-375-long-name.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        } finally {
            f.http.delete(longName);
            driver.manage().window().setSize(new Dimension(1400, 2600));
        }
    }

    @Test
    void webcamDialogIsAModalWithKeyboardBehaviour() throws Exception {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        WebElement opener = driver.findElement(By.id("identify-picker-webcam"));
        opener.click();
        JavascriptExecutor js = (JavascriptExecutor) driver;
        wait.until(d -> Boolean.TRUE.equals(js.executeScript("return document.getElementById('camera').matches(':modal')")));
        assertEquals("dialog", js.executeScript("return document.getElementById('camera').tagName.toLowerCase()"));
        wait.until(ExpectedConditions.elementToBeClickable(By.id("camera-capture")));
        Files.write(SHOTS.resolve("webcam-dialog.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        // Tab and Shift+Tab never leave the dialog
        for (int i = 0; i < 6; i++) {
            new Actions(driver).sendKeys(i % 3 == 2 ? Keys.chord(Keys.SHIFT, Keys.TAB) : Keys.TAB).perform();
            assertEquals(Boolean.TRUE, js.executeScript("return !!document.activeElement.closest('#camera')"),
                    "focus stays in the dialog, not on " + js.executeScript("return document.activeElement.outerHTML.slice(0, 80)"));
        }
        // Escape closes it, takes no photo, stops the camera and gives focus back to the button that opened it
        new Actions(driver).sendKeys(Keys.ESCAPE).perform();
        wait.until(d -> Boolean.FALSE.equals(js.executeScript("return document.getElementById('camera').open")));
        assertEquals("identify-picker-webcam", js.executeScript("return document.activeElement.id"));
        assertEquals(Boolean.TRUE, js.executeScript("return document.getElementById('camera-video').srcObject === null"));
        assertTrue(driver.findElements(By.cssSelector("#identify-picker-previews figure")).isEmpty());
        // Cancel behaves the same
        opener.click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("camera-cancel"))).click();
        wait.until(d -> Boolean.FALSE.equals(js.executeScript("return document.getElementById('camera').open")));
        assertEquals("identify-picker-webcam", js.executeScript("return document.activeElement.id"));
    }

    @Test
    void statusFollowsTheServerAndThePageProcess(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dataDir = tmp.resolve("data");
        PiCryptServer server = new PiCryptServer(ServerConfig.defaults(dataDir, port)).start();
        URI base = URI.create("http://127.0.0.1:" + port);
        PiCryptClient.Keyset ks = PiCryptClient.createKeyset(base, MatchParameters.get().fingerprintHex());
        PiCryptClient http = new PiCryptClient(base, ks.id(), ks.token());
        MatchSession session = io.picrypt.client.GallerySessions.session(http, MatchKeyOwner.generateSecretKey(), f.pipeline, f.pipeline.threshold());
        UiServer ui = new UiServer(http, session, f.pipeline, null).start(0);
        int uiPort = ui.port();
        try {
            open(ui.url());
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
            assertEquals("dot up", driver.findElement(By.id("conn-dot")).getDomAttribute("class"));
            // the PiCrypt server stops: the card says so by itself, red dot and "not reachable", no backticks
            server.close();
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "false"));
            assertEquals("not reachable", driver.findElement(By.id("conn-state")).getText());
            assertEquals("dot down", driver.findElement(By.id("conn-dot")).getDomAttribute("class"));
            assertFalse(driver.findElement(By.id("connection")).getText().contains("`"));
            screenshot("status-server-down.png");
            // it comes back: the card follows without a click
            server = new PiCryptServer(ServerConfig.defaults(dataDir, port)).start();
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
            assertEquals("reachable", driver.findElement(By.id("conn-state")).getText());
            choose("faces-picker", GROUP);
            // `picrypt ui` stops: a page-wide banner, every control disabled, no claim about the server
            ui.close();
            wait.until(ExpectedConditions.attributeToBe(By.id("status-banner"), "data-problem", "ui_down"));
            assertTrue(driver.findElement(By.id("status-banner")).getText().contains("not answering"));
            assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return document.querySelector('main').inert"));
            assertEquals("unknown", driver.findElement(By.id("connection")).getDomAttribute("data-reachable"));
            assertNotEquals("dot down", driver.findElement(By.id("conn-dot")).getDomAttribute("class"));
            // a request that races the stop (the every-face card, sent just as the process went away): a plain
            // explanation, not the browser's "Failed to fetch"
            ((JavascriptExecutor) driver).executeScript("document.getElementById('faces-form').requestSubmit()");
            WebElement faces = done("faces-result");
            assertEquals("ui_down", faces.getDomAttribute("data-error"), faces.getText());
            assertTrue(faces.getText().contains("picrypt ui") && !faces.getText().contains("Failed to fetch"), faces.getText());
            screenshot("status-ui-stopped.png");
            // `picrypt ui` runs again (new token): this old tab says to open the new address
            ui = new UiServer(http, session, f.pipeline, null).start(uiPort);
            wait.until(ExpectedConditions.attributeToBe(By.id("status-banner"), "data-problem", "bad_token"));
            assertTrue(driver.findElement(By.id("status-banner")).getText().contains("earlier run"));
            assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return document.querySelector('main').inert"));
            driver.get(ui.url());
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
            assertFalse(driver.findElement(By.id("status-banner")).isDisplayed());
            assertEquals(Boolean.FALSE, ((JavascriptExecutor) driver).executeScript("return document.querySelector('main').inert"));
        } finally {
            ui.close();
            server.close();
        }
    }

    @Test
    void deleteFromTheList() throws Exception {
        f.session.enrollImages("Temporary", List.of(f.people.get(4).png()), true);
        open(f.ui.url());
        By row = By.cssSelector("#identities-list tr[data-name='Temporary']");
        wait.until(ExpectedConditions.presenceOfElementLocated(row));
        driver.findElement(row).findElement(By.tagName("button")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.numberOfElementsToBe(row, 0));
        assertTrue(f.http.list().stream().noneMatch(i -> i.name().equals("Temporary")));
    }

    @Test
    void aNewAddressInTheSameTabIsPickedUp() {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        ((JavascriptExecutor) driver).executeScript("sessionStorage.setItem('picrypt-token', 'ff00')");
        driver.navigate().refresh();
        wait.until(ExpectedConditions.attributeToBe(By.id("status-banner"), "data-problem", "bad_token"));
        assertTrue(driver.findElement(By.id("status-banner")).getText().contains("access token"));
        driver.get(f.ui.url()); // only the fragment differs: no navigation unless the page handles it
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
    }

    @Test
    void serverDownIsShown() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        PiCryptClient dead = new PiCryptClient(URI.create("http://127.0.0.1:" + deadPort), "ks", "token");
        try (UiServer ui = new UiServer(dead, new MatchSession(dead, MatchKeyOwner.generateSecretKey(), f.pipeline, 1.3), f.pipeline, null).start(0)) {
            open(ui.url());
            wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "false"));
            assertEquals("not reachable", driver.findElement(By.id("conn-state")).getText());
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("identities-msg"), "server is not reachable"));
            type("verify-name", "Alice");
            choose("verify-picker", upload("alice-down.png", f.people.get(0).png()));
            driver.findElement(By.id("verify-submit")).click();
            WebElement r = done("verify-result");
            assertEquals("server_down", r.getDomAttribute("data-error"), r.getText());
            assertTrue(r.getText().startsWith("The PiCrypt server is not reachable: cannot reach"), r.getText());
            assertFalse(r.getText().contains("HTTP") || r.getText().contains("Server:") || r.getText().contains("server:"), r.getText());
            assertEquals("Image difference is not available in this build.", driver.findElement(By.id("diff-result")).getText());
            screenshot("server-down.png");
        }
    }

    @Test
    void webcamFrameWithoutAFaceSaysSo() throws Exception {
        open(f.ui.url());
        wait.until(ExpectedConditions.attributeToBe(By.id("connection"), "data-reachable", "true"));
        // Chromium's fake camera shows a test pattern: captured, sent for detection, and reported as faceless
        driver.findElement(By.id("verify-picker-webcam")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("camera-capture")));
        wait.until(d -> ((Number) ((JavascriptExecutor) d).executeScript("return document.getElementById('camera-video').videoWidth")).intValue() > 0);
        driver.findElement(By.id("camera-capture")).click();
        WebElement fig = wait.until(d -> d.findElements(By.cssSelector("#verify-picker-previews figure[data-faces]")).stream().findFirst().orElse(null));
        assertEquals("0", fig.getDomAttribute("data-faces"));
        assertTrue(fig.getText().contains("no face found"), fig.getText());
        type("verify-name", "Alice");
        driver.findElement(By.id("verify-submit")).click();
        WebElement r = done("verify-result");
        assertEquals("no_face", r.getDomAttribute("data-error"), r.getText());
        assertTrue(r.getText().startsWith("No face found in "), r.getText());
        // the layout at phone width: one column, nothing wider than the screen
        driver.manage().window().setSize(new Dimension(420, 900));
        Number overflow = (Number) ((JavascriptExecutor) driver).executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertEquals(0, overflow.intValue(), "no horizontal scrolling at 420 px");
        Files.write(SHOTS.resolve("phone-width.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        driver.manage().window().setSize(new Dimension(1400, 2600));
    }
}
