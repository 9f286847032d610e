/**
 * The toolchains inside the walls, pure: where each tool's caches go, what of the
 * person's `.npmrc`, pip and cargo settings reaches the agent (never a credential), which
 * registries the person's configuration names, and the words beside a failure that reads like
 * the walls.
 *
 * Run: node --import tsx --test test/core/walls/toolchains.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_REGISTRIES,
  personCacheLinks,
  readOnlyAdvice,
  wallsOutputAdvice,
  refusalAdvice,
  registriesRefusedNote,
  registryTargets,
  toolchainEnv,
  toolchainLinks,
  gradleProperties,
  jvmProxyProperties,
} from '../../../src/core/walls/toolchains';
import { sanitizeCargoConfig, sanitizeNpmrc, sanitizePipConf } from '../../../src/core/walls/toolchainConfigs';
import { directConnectionAdvice, loopbackListening, wallsRefusedText } from '../../../src/core/walls/walls';

const paths = { shared: '/c/shared', private: '/a/cache' };

describe('toolchainEnv: each cache where it belongs', () => {
  const env = toolchainEnv(paths, {});

  test('download caches in the shared folder, build caches and tool homes in the private one', () => {
    const table: [string, string][] = [
      ['npm_config_cache', '/a/cache/npm'],
      ['npm_config_logs_dir', '/a/cache/npm/_logs'],
      ['pnpm_config_store_dir', '/c/shared/pnpm-store'],
      ['YARN_CACHE_FOLDER', '/c/shared/yarn'],
      ['PIP_CACHE_DIR', '/c/shared/pip'],
      ['UV_CACHE_DIR', '/c/shared/uv'],
      ['CARGO_HOME', '/a/cache/cargo'],
      ['GOMODCACHE', '/c/shared/go/mod'],
      ['GOCACHE', '/a/cache/go-build'],
      ['GOPATH', '/a/cache/go'],
      ['GRADLE_USER_HOME', '/a/cache/gradle'],
      ['XDG_CACHE_HOME', '/a/cache/xdg'],
    ];
    for (const [name, value] of table) assert.equal(env[name], value, name);
    assert.equal(env.YARN_GLOBAL_FOLDER, undefined);
  });

  test('packages are copied out of a shared store, never hard-linked into a tree', () => {
    assert.equal(env.pnpm_config_package_import_method, 'copy');
    assert.equal(env.UV_LINK_MODE, 'copy');
  });

  test("pnpm's settings under npm's prefix too (pnpm 9 and earlier read only those) in a pnpm tree alone: npm warns of each it does not know", () => {
    assert.equal(env.npm_config_store_dir, undefined);
    assert.equal(env.npm_config_package_import_method, undefined);
    assert.deepEqual(Object.keys(env).filter((k) => k.startsWith('npm_config_')), ['npm_config_cache', 'npm_config_logs_dir']);
    const pnpm = toolchainEnv(paths, {}, { pnpm: true });
    assert.equal(pnpm.npm_config_store_dir, '/c/shared/pnpm-store');
    assert.equal(pnpm.npm_config_package_import_method, 'copy');
  });

  test("maven: the person's JVM options kept, the shared repository, the resolver's file locks and the walls' proxy added last", () => {
    assert.equal(
      env.MAVEN_OPTS,
      '-Dmaven.repo.local=/c/shared/maven/repository -Daether.syncContext.named.factory=file-lock -Daether.syncContext.named.nameMapper=file-gav' +
        ' -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=3128 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=3128 -Dhttp.nonProxyHosts=localhost|127.*|[::1]' +
        ' -Daether.connector.http.useSystemProperties=true -Daether.transport.apache.useSystemProperties=true',
    );
    const theirs = toolchainEnv(paths, { MAVEN_OPTS: ' -Xmx2g -Dmaven.repo.local=/home/p/.m2/repository -Dhttps.proxyHost=proxy.corp ' }).MAVEN_OPTS!;
    assert.match(theirs, /^-Xmx2g -Dmaven\.repo\.local=\/home\/p\/\.m2\/repository -Dhttps\.proxyHost=proxy\.corp -Dmaven\.repo\.local=\/c\/shared\/maven\/repository /);
    // The last -D wins: the walls' proxy over the person's own (which the walls' proxy goes through: their HTTPS_PROXY).
    assert.ok(theirs.lastIndexOf('-Dhttps.proxyHost=127.0.0.1') > theirs.indexOf('-Dhttps.proxyHost=proxy.corp'));
    // The same in JAVA_TOOL_OPTIONS, which no ~/.mavenrc setting MAVEN_OPTS outright drops: the person's own first.
    assert.equal(env.JAVA_TOOL_OPTIONS, env.MAVEN_OPTS);
    assert.equal(toolchainEnv(paths, { JAVA_TOOL_OPTIONS: ' -Dfile.encoding=UTF-8 ' }).JAVA_TOOL_OPTIONS, `-Dfile.encoding=UTF-8 ${env.MAVEN_OPTS}`);
  });

  test("gradle: the walls' proxy as systemProp lines of the private GRADLE_USER_HOME's gradle.properties", () => {
    assert.equal(
      gradleProperties(),
      'systemProp.http.proxyHost=127.0.0.1\nsystemProp.http.proxyPort=3128\nsystemProp.https.proxyHost=127.0.0.1\nsystemProp.https.proxyPort=3128\nsystemProp.http.nonProxyHosts=localhost|127.*|[::1]\n',
    );
    assert.deepEqual(jvmProxyProperties(4000)['https.proxyPort'], '4000');
  });

  test("the walls' values win over the person's (theirs are read-only inside), in whatever case npm's were set", () => {
    const e = toolchainEnv(paths, { npm_config_cache: '/home/p/.npm-cache', NPM_CONFIG_CACHE: '/home/p/x', Npm_Config_Store_Dir: '/home/p/store', GOMODCACHE: '/home/p/go/pkg/mod', CARGO_HOME: '/home/p/.cargo' }, { pnpm: true });
    assert.equal(e.npm_config_cache, '/a/cache/npm');
    assert.equal(e.NPM_CONFIG_CACHE, '/a/cache/npm');
    assert.equal(e.Npm_Config_Store_Dir, '/c/shared/pnpm-store');
    assert.equal(e.GOMODCACHE, '/c/shared/go/mod');
    assert.equal(e.CARGO_HOME, '/a/cache/cargo');
  });

  test("a yarn 2+ tree: its global folder shared, its own cache folder left to the project", () => {
    const e = toolchainEnv(paths, {}, { yarnBerry: true });
    assert.equal(e.YARN_GLOBAL_FOLDER, '/c/shared/yarn-berry');
    assert.equal(e.YARN_CACHE_FOLDER, undefined);
  });

  test('the private homes link their download parts into the shared folder, and nothing else', () => {
    assert.deepEqual(toolchainLinks(paths), [
      { link: '/a/cache/npm/_cacache', target: '/c/shared/npm/_cacache' },
      { link: '/a/cache/cargo/registry/index', target: '/c/shared/cargo/registry/index' },
      { link: '/a/cache/cargo/registry/cache', target: '/c/shared/cargo/registry/cache' },
      { link: '/a/cache/cargo/git/db', target: '/c/shared/cargo/git/db' },
      { link: '/a/cache/gradle/caches/modules-2', target: '/c/shared/gradle/caches/modules-2' },
      { link: '/a/cache/gradle/wrapper/dists', target: '/c/shared/gradle/wrapper/dists' },
    ]);
  });

  test("what tools read from the person's ~/.cache is linked from the private XDG_CACHE_HOME", () => {
    assert.deepEqual(personCacheLinks(paths, '/home/p/.cache'), [
      { link: '/a/cache/xdg/ms-playwright', target: '/home/p/.cache/ms-playwright' },
      { link: '/a/cache/xdg/Cypress', target: '/home/p/.cache/Cypress' },
      { link: '/a/cache/xdg/node/corepack', target: '/home/p/.cache/node/corepack' },
      { link: '/a/cache/xdg/node-gyp', target: '/home/p/.cache/node-gyp' },
    ]);
  });
});

describe('sanitizeNpmrc: the settings reach the agent, the credentials never', () => {
  const npmrc = [
    '; my settings',
    'registry=https://npm.example.com/',
    '@acme:registry=https://npm.acme.test/repo/',
    'strict-ssl=false',
    'cafile=/etc/ssl/acme.pem',
    'save-exact = true',
    '//npm.example.com/:_authToken=npm_SECRET1',
    '//npm.acme.test/repo/:_authToken=${ACME_TOKEN}',
    '//npm.acme.test/repo/:always-auth=true',
    '_auth=c2VjcmV0Mg==',
    '_authToken=SECRET3',
    '_password=SECRET4',
    'username=bob',
    'password=SECRET5',
    'email=bob@example.com',
    'certfile=/home/p/client.crt',
    'keyfile=/home/p/client.key',
    'key="-----BEGIN PRIVATE KEY-----SECRET6"',
    'cert=SECRET7',
    'otp=123456',
    '"//npm.other.test/:_password"=SECRET8',
    '@acme:_authToken=SECRET9',
    'NPM_TOKEN=SECRET10',
    '# token: SECRET11',
    'SECRET12',
    'proxy=http://bob:SECRET13@proxy.example.com:8080/',
    'https-proxy=http://proxy.example.com:8080/',
    'noproxy=localhost',
    'fund=false',
    'home=https://bob:SECRET14@docs.example.com/',
    'tarball-url=https://files.example.com/a.tgz?access_token=SECRET15',
    '[section]',
    'registry=https://in-a-section.example.com/',
  ].join('\n');
  const { text, dropped } = sanitizeNpmrc(npmrc);

  test('what it keeps, as written', () => {
    assert.equal(
      text,
      [
        'registry=https://npm.example.com/',
        '@acme:registry=https://npm.acme.test/repo/',
        'strict-ssl=false',
        'cafile=/etc/ssl/acme.pem',
        'save-exact = true',
        'fund=false',
        'home=https://docs.example.com/',
        '[section]',
        'registry=https://in-a-section.example.com/',
        '',
      ].join('\n'),
    );
  });

  test('no credential survives, nor a comment, nor a line that is not key = value', () => {
    for (let n = 1; n <= 15; n++) assert.ok(!text.includes(`SECRET${n}`), `SECRET${n}`);
    for (const s of ['c2VjcmV0Mg==', '${ACME_TOKEN}', 'bob', '123456', 'client.key', 'client.crt']) assert.ok(!text.includes(s), s);
  });

  test('what went is named, never its value', () => {
    assert.deepEqual(dropped, [
      '//npm.example.com/:_authToken',
      '//npm.acme.test/repo/:_authToken',
      '//npm.acme.test/repo/:always-auth',
      '_auth',
      '_authToken',
      '_password',
      'username',
      'password',
      'email',
      'certfile',
      'keyfile',
      'key',
      'cert',
      'otp',
      '//npm.other.test/:_password',
      '@acme:_authToken',
      'NPM_TOKEN',
      'line 25 (not key = value)',
      "proxy (the walls' proxy stands in)",
      "https-proxy (the walls' proxy stands in)",
      "noproxy (the walls' proxy stands in)",
      'home (the user and password in its URL)',
      'tarball-url (a credential in its URL)',
    ]);
    for (const d of dropped) assert.ok(!/SECRET|bob|c2Vj/.test(d), d);
  });

  test('an empty file, and one of comments only, give an empty file', () => {
    assert.deepEqual(sanitizeNpmrc(''), { text: '', dropped: [] });
    assert.deepEqual(sanitizeNpmrc('# a\n; b\n\n'), { text: '', dropped: [] });
  });

  test('property: no value of a credential key ever reaches the output, whatever else the file holds', () => {
    const secretKey = fc.constantFrom('_authToken', '_auth', '_password', 'username', 'password', 'email', 'certfile', 'keyfile', 'cert', 'key', 'otp', 'token');
    const host = fc.constantFrom('registry.npmjs.org', 'npm.acme.test', '127.0.0.1:4873', 'npm.example.com/path');
    const prefix = fc.oneof(fc.constant(''), host.map((h) => `//${h}/:`), fc.constantFrom('@acme:', '@x:'));
    const secret = fc.stringMatching(/^[A-Za-z0-9+/_=.-]{6,40}$/).map((s) => `Zq${s}`);
    const quote = fc.constantFrom('', '"', "'");
    const space = fc.constantFrom('', ' ', '  ', '\t');
    const secretLine = fc.tuple(prefix, secretKey, secret, quote, space, space, fc.boolean()).map(([p, k, v, q, a, b, env]) => ({ line: `${a}${q}${p}${k}${q}${b}=${b}${env ? `\${${v}}` : v}`, value: v }));
    // In a URL's user and password a `/` ends the authority (it is written %2F there).
    const urlSecret = fc.tuple(fc.constantFrom('registry', '@acme:registry', 'proxy', 'home'), fc.stringMatching(/^[A-Za-z0-9+_=.:@%-]{6,40}$/).map((s) => `Zq${s}`)).map(([k, v]) => ({ line: `${k}=https://u:${v}@host.example/`, value: v }));
    const plain = fc.constantFrom('registry=https://npm.example.com/', 'strict-ssl=true', '; a comment', '', '[x]', 'fund=false', 'cafile=/etc/ca.pem');
    fc.assert(
      fc.property(fc.array(fc.oneof(secretLine, urlSecret), { minLength: 1, maxLength: 8 }), fc.array(plain, { maxLength: 6 }), fc.nat(), (secrets, others, seed) => {
        const lines: string[] = [...others];
        secrets.forEach((s, i) => lines.splice((seed + i * 7) % (lines.length + 1), 0, s.line));
        const out = sanitizeNpmrc(lines.join(seed % 2 ? '\r\n' : '\n'));
        for (const s of secrets) {
          assert.ok(!out.text.includes(s.value), `${s.line} → ${out.text}`);
          assert.ok(!out.dropped.some((d) => d.includes(s.value)));
        }
        for (const o of others) if (/^(registry|strict-ssl|fund|cafile)=/.test(o)) assert.ok(out.text.includes(o), o);
      }),
      { numRuns: 500 },
    );
  });
});

describe("sanitizePipConf: pip's settings as one file, without credentials", () => {
  test("each setting as the file that wins it says; a user and password in a URL taken out; the client certificate and proxy dropped", () => {
    const user = ['[global]', 'index-url = https://bob:SECRET1@pypi.acme.test/simple', 'extra-index-url =', '    https://mirror.example.com/simple', '    https://alice:SECRET2@other.example.com/simple', 'timeout = 30', 'client-cert = /home/p/client.pem', 'proxy = http://bob:SECRET3@proxy:8080', '# token SECRET4', '[install]', 'no-binary = :none:'].join('\n');
    const overriding = ['[global]', 'timeout: 60', 'Index_URL = https://pypi.override.test/simple'].join('\n');
    const { text, dropped } = sanitizePipConf([overriding, user]);
    assert.equal(
      text,
      ['[global]', 'Index_URL = https://pypi.override.test/simple', 'extra-index-url = https://mirror.example.com/simple', '    https://other.example.com/simple', 'timeout = 60', '[install]', 'no-binary = :none:', ''].join('\n'),
    );
    for (const s of ['SECRET', 'bob', 'alice', 'client.pem']) assert.ok(!text.includes(s), s);
    assert.deepEqual(dropped, ['global.index-url (the user and password in its URL)', 'global.extra-index-url (the user and password in its URL)', 'global.client-cert', 'global.proxy']);
  });
});

describe("sanitizeCargoConfig: cargo's settings without a registry's token", () => {
  test('tokens (in a table, dotted, in an inline table whose other keys stay), credential providers and the proxy go; the rest stays', () => {
    const config = [
      '# my cargo',
      '[source.crates-io]',
      'replace-with = "mirror"',
      '',
      '[source.mirror]',
      'registry = "sparse+https://bob:SECRET1@crates.acme.test/index/"',
      '',
      '[registries.acme]',
      'index = "sparse+https://crates.acme.test/index/"',
      'token = "SECRET2"',
      'credential-provider = ["cargo:token-from-stdout", "get-token", "SECRET3"]',
      '',
      '[registry]',
      'global-credential-providers = [',
      '  "cargo:token",',
      '  "SECRET4",',
      ']',
      '',
      '[http]',
      'proxy = "http://proxy.example.com:8080"',
      'timeout = 30',
      '',
      '[build]',
      'jobs = 4',
      'registries.other = { index = "https://other.test/index", token = "SECRET5", protocol = "sparse" }',
      'registries.third.token = \'SECRET6\'',
      '# token = "SECRET7"',
    ].join('\n');
    const { text, dropped } = sanitizeCargoConfig(config);
    for (let n = 1; n <= 7; n++) assert.ok(!text.includes(`SECRET${n}`), `SECRET${n}`);
    for (const kept of ['[source.crates-io]', 'replace-with = "mirror"', 'registry = "sparse+https://crates.acme.test/index/"', 'index = "sparse+https://crates.acme.test/index/"', '[http]', 'timeout = 30', 'jobs = 4', 'registries.other = { index = "https://other.test/index", protocol = "sparse" }']) assert.ok(text.includes(kept), kept);
    assert.ok(!text.includes('proxy.example.com'));
    assert.ok(!/^\s*"cargo:token",?$|^\]$/m.test(text), 'a multi-line array goes whole');
    assert.deepEqual(dropped, ['registries.acme.token', 'registries.acme.credential-provider', 'registry.global-credential-providers', 'http.proxy', 'build.registries.other.token', 'build.registries.third.token', 'line 6 (the user and password in its URL)']);
  });
});

describe('registryTargets: the registries the person named, from their own configuration', () => {
  const javaDefaults = DEFAULT_REGISTRIES.java;
  const sorted = (xs: readonly string[]) => [...xs].sort();

  test('nothing configured: every toolchain\'s public registry', () => {
    const { targets, problems } = registryTargets({ npmrc: [], env: {} });
    assert.deepEqual(sorted(targets), sorted([...DEFAULT_REGISTRIES.npm, ...DEFAULT_REGISTRIES.python, ...DEFAULT_REGISTRIES.cargo, ...DEFAULT_REGISTRIES.goProxy, ...DEFAULT_REGISTRIES.goSum, ...javaDefaults]));
    assert.deepEqual(problems, []);
    assert.ok(targets.includes('registry.npmjs.org:443') && targets.includes('pypi.org:443') && targets.includes('files.pythonhosted.org:443') && targets.includes('index.crates.io:443') && targets.includes('static.crates.io:443') && targets.includes('proxy.golang.org:443') && targets.includes('sum.golang.org:443'));
    for (const t of ['repo.maven.apache.org:443', 'repo1.maven.org:443', 'plugins.gradle.org:443', 'services.gradle.org:443']) assert.ok(targets.includes(t), t);
  });

  const npmOnly = (targets: string[]) => targets.filter((t) => !['python', 'cargo', 'goProxy', 'goSum', 'java'].some((k) => DEFAULT_REGISTRIES[k as keyof typeof DEFAULT_REGISTRIES].includes(t)));

  test("npm: the registry of the highest-precedence place, every scope's; a loopback registry like any other", () => {
    const user = { from: '/home/p/.npmrc', text: 'registry=http://127.0.0.1:4873/\n@acme:registry=https://npm.acme.test/repo/\n//npm.acme.test/repo/:_authToken=x\n[sect]\nregistry=https://ignored.test/' };
    const global = { from: '/usr/etc/npmrc', text: 'registry=https://global.example.com/\n@other:registry = "https://npm.other.test:8443/"' };
    assert.deepEqual(npmOnly(registryTargets({ npmrc: [user, global], env: {} }).targets), ['127.0.0.1:4873', 'npm.acme.test:443', 'npm.other.test:8443']);
    // The environment first, whatever its case; the defaults only when no registry is set.
    assert.deepEqual(npmOnly(registryTargets({ npmrc: [user], env: { NPM_CONFIG_REGISTRY: 'https://env.example.com' } }).targets), ['env.example.com:443', 'npm.acme.test:443']);
    assert.deepEqual(npmOnly(registryTargets({ npmrc: [{ from: 'f', text: '@acme:registry=https://npm.acme.test/' }], env: {} }).targets), ['registry.npmjs.org:443', 'registry.yarnpkg.com:443', 'npm.acme.test:443']);
  });

  test('npm: `${VAR}` read from the environment; an unset one, or a value that is no URL, is a problem naming where', () => {
    const file = { from: '/home/p/.npmrc', text: 'registry=${REG}\n@a:registry=${UNSET}/x\n@b:registry=not a url\n@c:registry=https://u:SECRET@c.test/' };
    const { targets, problems } = registryTargets({ npmrc: [file], env: { REG: 'https://reg.test:4443/' } });
    assert.deepEqual(npmOnly(targets), ['reg.test:4443', 'c.test:443']);
    assert.deepEqual(problems, ['/home/p/.npmrc (@a:registry): "${UNSET}/x" names a variable that is not set', '/home/p/.npmrc (@b:registry): "not a url" is not an http or https URL']);
  });

  test("pip and uv: the environment over the files, [install] over [global]; pypi only while one of them uses it", () => {
    const conf = { from: '/home/p/.config/pip/pip.conf', text: '[global]\nindex-url = https://g.test/simple\nextra-index-url =\n  https://x1.test/simple\n  https://x2.test:8443/simple\n[install]\nindex-url = https://i.test/simple\nfind-links = /local/wheels' };
    const pipOnly = registryTargets({ npmrc: [], env: { UV_DEFAULT_INDEX: 'https://uv.test/simple' }, pipConf: [conf] }).targets;
    for (const t of ['i.test:443', 'x1.test:443', 'x2.test:8443', 'uv.test:443']) assert.ok(pipOnly.includes(t), t);
    assert.ok(!pipOnly.includes('g.test:443'), '[install] wins');
    assert.ok(!pipOnly.includes('pypi.org:443'), 'neither uses pypi');
    const env = { PIP_INDEX_URL: 'http://127.0.0.1:8080/simple', PIP_EXTRA_INDEX_URL: 'https://e1.test/ https://e2.test/', UV_INDEX: 'acme=https://uv-acme.test/simple https://uv-plain.test/', UV_EXTRA_INDEX_URL: 'https://uv-extra.test/' };
    const both = registryTargets({ npmrc: [], env, pipConf: [conf] }).targets;
    for (const t of ['127.0.0.1:8080', 'e1.test:443', 'e2.test:443', 'uv-acme.test:443', 'uv-plain.test:443', 'uv-extra.test:443', 'pypi.org:443', 'files.pythonhosted.org:443']) assert.ok(both.includes(t), t);
    assert.ok(!both.includes('i.test:443') && !both.includes('x1.test:443'), 'the environment wins over the file');
  });

  test("cargo: registries and replacements, `sparse+` read; crates.io's hosts unless crates.io is replaced", () => {
    const config = { from: '/home/p/.cargo/config.toml', text: '[registries.acme]\nindex = "sparse+https://crates.acme.test/index/"\n[registries]\nother = { index = "https://git.other.test/index.git" }\n[source.crates-io]\nreplace-with = "mirror"\n[source.mirror]\nregistry = "sparse+http://127.0.0.1:7878/index/"\n[source.vendored]\ndirectory = "vendor"' };
    const { targets } = registryTargets({ npmrc: [], env: { CARGO_REGISTRIES_ENVREG_INDEX: 'sparse+https://env-reg.test/' }, cargoConfig: [config] });
    for (const t of ['crates.acme.test:443', 'git.other.test:443', '127.0.0.1:7878', 'env-reg.test:443']) assert.ok(targets.includes(t), t);
    assert.ok(!targets.includes('index.crates.io:443') && !targets.includes('static.crates.io:443'));
  });

  test("Go: GOPROXY's list (`direct`, `off` and `file://` skipped) and GOSUMDB, the environment over `go env -w`'s file", () => {
    const goEnv = { from: '/home/p/.config/go/env', text: 'GOPROXY=https://goproxy.acme.test|direct\nGOSUMDB=sum.acme.test+abc123 https://sumdb.acme.test:8443\n' };
    const fromFile = registryTargets({ npmrc: [], env: {}, goEnv }).targets;
    assert.ok(fromFile.includes('goproxy.acme.test:443') && fromFile.includes('sumdb.acme.test:8443'));
    assert.ok(!fromFile.includes('proxy.golang.org:443') && !fromFile.includes('sum.golang.org:443'));
    const fromEnv = registryTargets({ npmrc: [], env: { GOPROXY: 'http://127.0.0.1:3000,file:///srv/mods,off', GOSUMDB: 'off' }, goEnv }).targets;
    assert.ok(fromEnv.includes('127.0.0.1:3000'));
    assert.ok(!fromEnv.some((t) => /acme|golang/.test(t)));
    assert.ok(registryTargets({ npmrc: [], env: { GOSUMDB: 'sum.example.test' } }).targets.includes('sum.example.test:443'));
  });

  test("maven: its settings' mirrors and repositories (comments and placeholders skipped)", () => {
    const settings = { from: '/home/p/.m2/settings.xml', text: '<settings><mirrors><mirror><id>m</id><mirrorOf>*</mirrorOf><url>https://nexus.acme.test:8081/repository/all/</url></mirror></mirrors><!-- <mirror><url>https://old.test/</url></mirror> --><profiles><profile><repositories><repository><url>${env.REPO}</url></repository></repositories></profile></profiles></settings>' };
    const { targets, problems } = registryTargets({ npmrc: [], env: {}, mavenSettings: [settings] });
    assert.ok(targets.includes('nexus.acme.test:8081'));
    assert.ok(!targets.includes('old.test:443'));
    assert.deepEqual(problems, []);
  });
});

describe('the words beside a failure that reads like the walls', () => {
  const registries = ['registry.npmjs.org:443', 'npm.acme.test:443', '*.pkg.example.com:443', '127.0.0.1:4873'];

  test('a refused registry is said as one, with the switch; any other target is not', () => {
    assert.equal(refusalAdvice('registry.npmjs.org:443', registries), 'registry.npmjs.org:443 is a package registry (allow the registries: waves.sandbox.registries / --allow-registries)');
    assert.equal(refusalAdvice('a.pkg.example.com:443', registries), 'a.pkg.example.com:443 is a package registry (allow the registries: waves.sandbox.registries / --allow-registries)');
    assert.equal(refusalAdvice('127.0.0.1:4873', registries), '127.0.0.1:4873 is a package registry (allow the registries: waves.sandbox.registries / --allow-registries)');
    assert.equal(refusalAdvice('example.com:443', registries), '');
    assert.equal(refusalAdvice('registry.npmjs.org:80', registries), '');
  });

  test("the walls' refusal text unchanged, the registry note after it only when a registry was refused", () => {
    const plain = ['example.com:443'];
    assert.equal(wallsRefusedText(plain) + registriesRefusedNote(plain, registries), 'its walls refused a connection to example.com:443 (not among the hosts it may reach: waves.sandbox.allowHosts / --allow-host)');
    const one = ['registry.npmjs.org:443', 'example.com:443'];
    assert.equal(
      wallsRefusedText(one) + registriesRefusedNote(one, registries),
      'its walls refused 2 connections to registry.npmjs.org:443, example.com:443 (not among the hosts it may reach: waves.sandbox.allowHosts / --allow-host); registry.npmjs.org:443 is a package registry (allow the registries: waves.sandbox.registries / --allow-registries)',
    );
    assert.equal(registriesRefusedNote(['registry.npmjs.org:443', 'npm.acme.test:443'], registries), '; registry.npmjs.org:443, npm.acme.test:443 are package registries (allow the registries: waves.sandbox.registries / --allow-registries)');
  });

  test("read-only files: each toolchain's words, with the path where it met them", () => {
    const home = '/home/p';
    const table: [string, string][] = [
      ["npm error code EROFS\nnpm error syscall mkdir\nnpm error path /home/p/.npm/_cacache\nnpm error errno -30\nnpm error rofs EROFS: read-only file system, mkdir '/home/p/.npm/_cacache'", '/home/p/.npm/_cacache'],
      ['npm ERR! code EROFS\nnpm ERR! rofs EROFS: read-only file system\nnpm ERR! path /home/p/.npm', '/home/p/.npm'],
      ["npm error enoent ENOENT: no such file or directory, mkdir '/home/p/.npm'", '/home/p/.npm'],
      ['failed to initialize build cache at /home/p/.cache/go-build: mkdir /home/p/.cache: read-only file system', '/home/p/.cache/go-build'],
      ['error: failed to create directory `/home/p/.cargo/registry/src/index.crates.io-6f17d22bba15001f/dep-0.1.0`\n\nCaused by:\n  Read-only file system (os error 30)', '/home/p/.cargo/registry/src/index.crates.io-6f17d22bba15001f/dep-0.1.0'],
      ["OSError: [Errno 30] Read-only file system: '/home/p/.local/lib/python3.11'", '/home/p/.local/lib/python3.11'],
      ["touch: cannot touch '/opt/tool/state': Read-only file system", '/opt/tool/state'],
      ["Error: EACCES: permission denied, open '/home/p/.config/tool/x.json'", '/home/p/.config/tool/x.json'],
    ];
    for (const [output, where] of table) assert.equal(readOnlyAdvice(output, home), `it met the walls' read-only files at ${where}: allow a folder with waves.sandbox.write / --sandbox-write`, output);
    assert.equal(readOnlyAdvice('Read-only file system', home), "it met the walls' read-only files: allow a folder with waves.sandbox.write / --sandbox-write");
  });

  test('not the walls: a refused permission or a missing folder outside the home folder, a failing test, nothing', () => {
    for (const output of ["Error: EACCES: permission denied, open '/etc/shadow'", "ENOENT: no such file or directory, mkdir '/work/tree/missing/x'", 'AssertionError: expected 2 to equal 3', "ENOENT: no such file or directory, open '/home/p/src/a.ts'", '']) {
      assert.equal(readOnlyAdvice(output, '/home/p'), null, output);
    }
    assert.equal(readOnlyAdvice("Error: EACCES: permission denied, open '/home/p/.x'"), null, 'without the home folder, a refused permission is not said');
  });
});

describe('the words beside a failure that reads like a connection made past the walls\' proxy', () => {
  const proxy = "inside the walls only their proxy (HTTPS_PROXY, 127.0.0.1:3128) reaches the hosts they allow (waves.sandbox.allowHosts / --allow-host): have the tool use it";

  test("a connection straight to an address: each tool's words (as each printed them inside walls), with what it tried", () => {
    const table: [string, string][] = [
      ['node: connect ENETUNREACH 203.0.113.7:443 - Local (0.0.0.0:0)', '203.0.113.7:443'],
      ['node: connect ENETUNREACH 2001:db8::1:443 - Local (:::0)', '2001:db8::1:443'],
      ['dial tcp 203.0.113.7:443: connect: network is unreachable', '203.0.113.7:443'],
      ['dial tcp [2001:db8::1]:443: connect: network is unreachable', '[2001:db8::1]:443'],
      ['ssh: connect to host 203.0.113.7 port 22: Network is unreachable', '203.0.113.7:22'],
      ["curl: (7) Failed to connect to 203.0.113.7 port 443 after 0 ms: Couldn't connect to server", '203.0.113.7:443'],
    ];
    for (const [output, target] of table) assert.equal(directConnectionAdvice(`some output before\n${output}\nafter`), `it connected to ${target} directly, past its walls' proxy: ${proxy}`, output);
    assert.equal(directConnectionAdvice('OSError: [Errno 101] Network is unreachable'), `it connected directly, past its walls' proxy: ${proxy}`);
    assert.equal(directConnectionAdvice('Network is unreachable (os error 101)'), `it connected directly, past its walls' proxy: ${proxy}`);
  });

  test('wallsOutputAdvice: the read-only files met, then a connection past the proxy, each "; …"; what is said already is not said again', () => {
    const output = "npm error EROFS: read-only file system, mkdir '/home/p/.npm/_cacache'\nnode: connect ENETUNREACH 203.0.113.7:443 - Local (0.0.0.0:0)";
    const readOnly = readOnlyAdvice(output, '/home/p')!;
    const direct = directConnectionAdvice(output)!;
    assert.ok(readOnly && direct);
    assert.equal(wallsOutputAdvice(output, '/home/p'), `; ${readOnly}; ${direct}`);
    assert.equal(wallsOutputAdvice(output, '/home/p', { readOnly: true }), `; ${direct}`, 'the read-only path its runner named already');
    assert.equal(wallsOutputAdvice(output, '/home/p', { proxy: true }), `; ${readOnly}`, 'the proxy named what it refused: no guess');
    assert.equal(wallsOutputAdvice('all good\n', '/home/p'), '');
  });

  test('a name looked up by the tool itself: each tool\'s words, with the name when it says one', () => {
    const table: [string, string][] = [
      ['node: getaddrinfo EAI_AGAIN registry.example.com', 'registry.example.com'],
      ['curl: (6) Could not resolve host: example.com', 'example.com'],
      ["fatal: unable to access 'https://github.com/x/y/': Could not resolve host: github.com", 'github.com'],
      ['ssh: Could not resolve hostname github.com: Temporary failure in name resolution', 'github.com'],
      // Go writes the name server it could not reach: the name it wanted is what is said.
      ['dial tcp: lookup proxy.golang.org on 10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable', 'proxy.golang.org'],
    ];
    for (const [output, name] of table) assert.equal(directConnectionAdvice(output), `it looked up ${name} itself, past its walls' proxy: ${proxy}`, output);
    assert.equal(directConnectionAdvice('urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>'), `it looked up a host name itself, past its walls' proxy: ${proxy}`);
  });

  test('not a connection past the proxy: a refused loopback port, a curl to this machine, a failing test, the proxy\'s own refusal, nothing', () => {
    for (const output of [
      'Error: connect ECONNREFUSED 127.0.0.1:5432',
      "curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn't connect to server",
      "curl: (7) Failed to connect to 127.0.0.1 port 8080 after 0 ms: Couldn't connect to server",
      'AssertionError: expected 2 to equal 3',
      "curl: (56) CONNECT tunnel failed, response 403",
      '',
    ]) {
      assert.equal(directConnectionAdvice(output), null, output);
    }
  });
});

describe('loopbackListening: the ports this machine\'s loopback serves, from the kernel\'s socket tables', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  // Little-endian words, as x86 and arm64 write them: 0100007F is 127.0.0.1, 00000000 every address.
  const tcp =
    header +
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0\n' + // 127.0.0.1:8080
    '   1: 00000000:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000000000000000 100 0 0 10 0\n' + // 0.0.0.0:5555
    '   2: 0101A8C0:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 3 1 0000000000000000 100 0 0 10 0\n' + // 192.168.1.1:3000: not loopback
    '   3: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4 1 0000000000000000 100 0 0 10 0\n' + // 127.0.0.1:8081 established, not listening
    '   4: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 5 1 0000000000000000 100 0 0 10 0\n'; // 127.0.0.53:53
  const tcp6 =
    header +
    '   0: 00000000000000000000000001000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6 1 0000000000000000 100 0 0 10 0\n' + // [::1]:9090
    '   1: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7 1 0000000000000000 100 0 0 10 0\n' + // [::]:5432
    '   2: 0000000000000000FFFF00000100007F:22B8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 8 1 0000000000000000 100 0 0 10 0\n' + // [::ffff:127.0.0.1]:8888
    '   3: 000080FE00000000FF005450B6AD1DFE:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 9 1 0000000000000000 100 0 0 10 0\n'; // fe80::…:80: not loopback

  test('loopback and every-address listeners of both families, ascending; not another address, not a connection', () => {
    assert.deepEqual(loopbackListening(tcp, tcp6), [53, 5432, 5555, 8080, 8888, 9090]);
  });

  test('a big-endian machine writes its words the other way round', () => {
    assert.deepEqual(loopbackListening(header + '   0: 7F000001:1F90 00000000:0000 0A 0\n   1: 0100007F:1F91 00000000:0000 0A 0\n', '', false), [8080]);
  });

  test('nothing to read (another system, a table that cannot be read): none', () => {
    assert.deepEqual(loopbackListening('', ''), []);
  });
});
