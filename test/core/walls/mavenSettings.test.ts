/**
 * The person's maven settings inside the walls, pure: `settings.xml` as the agent sees it (the
 * mirrors, profiles and repositories kept; servers, proxies, every credential and comment gone;
 * a file not read with certainty refused whole), the files maven may read as the person's, a
 * `~/.mavenrc` that sets a credential, and the walls binding the copy in the original's place.
 *
 * Run: node --import tsx --test test/core/walls/mavenSettings.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EMPTY_MAVEN_SETTINGS, mavenrcSecrets, mavenSettingsFiles, sanitizeMavenSettings, type MavenSettingsCopy } from '../../../src/core/walls/mavenSettings';
import { bwrapArgs } from '../../../src/core/walls/walls';

/** The copy's text; fails the test when the file was refused. */
function kept(copy: MavenSettingsCopy): { text: string; dropped: string[] } {
  assert.notEqual(copy.text, null, copy.text === null ? copy.why : '');
  return copy as { text: string; dropped: string[] };
}

/** A person's settings as they are written in the wild: a corporate mirror, servers of every kind, a proxy with its login, profiles with repositories and a signing passphrase. */
const REAL_WORLD = `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd">
  <localRepository>\${user.home}/.m2/repository</localRepository>
  <!-- the old one: <server><id>old</id><password>COMMENTED_PASSWORD</password></server> -->
  <pluginGroups>
    <pluginGroup>org.sonarsource.scanner.maven</pluginGroup>
  </pluginGroups>
  <servers>
    <server>
      <id>nexus-releases</id>
      <username>deployer</username>
      <password>PLAIN_PASSWORD</password>
    </server>
    <server>
      <id>nexus-snapshots</id>
      <username>\${env.NEXUS_USER}</username>
      <password>{COQLCE6DU6GtcS5P=ENCRYPTED_PASSWORD}</password>
    </server>
    <server>
      <id>siteServer</id>
      <privateKey>/home/me/.ssh/id_dsa_PRIVATE_KEY_PATH</privateKey>
      <passphrase>SSH_PASSPHRASE</passphrase>
      <filePermissions>664</filePermissions>
    </server>
    <server>
      <id>gitlab-maven</id>
      <configuration>
        <httpHeaders>
          <property>
            <name>Private-Token</name>
            <value>GITLAB_HEADER_TOKEN</value>
          </property>
        </httpHeaders>
      </configuration>
    </server>
    <server><id>cdata</id><password><![CDATA[CDATA_PASSWORD]]></password></server>
  </servers>
  <mirrors>
    <mirror>
      <id>corporate</id>
      <mirrorOf>*,!snapshots</mirrorOf>
      <url>https://nexus.example.com/repository/maven-public/</url>
    </mirror>
  </mirrors>
  <proxies>
    <proxy>
      <id>corp</id>
      <active>true</active>
      <protocol>https</protocol>
      <host>proxy.example.com</host>
      <port>8080</port>
      <username>proxyuser</username>
      <password>PROXY_PASSWORD</password>
      <nonProxyHosts>localhost|*.example.com</nonProxyHosts>
    </proxy>
  </proxies>
  <profiles>
    <profile>
      <id>release</id>
      <properties>
        <gpg.keyname>ABCDEF12</gpg.keyname>
        <gpg.passphrase>GPG_PASSPHRASE</gpg.passphrase>
        <sonar.login>SONAR_TOKEN_VALUE</sonar.login>
        <nexus.url>\${env.NEXUS_URL}</nexus.url>
        <banner><![CDATA[a <b>bold</b> banner]]></banner>
      </properties>
      <repositories>
        <repository>
          <id>github</id>
          <url>https://maven.pkg.github.com/acme/*</url>
          <snapshots><enabled>true</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository>
          <id>plugins</id>
          <url>https://nexus.example.com/repository/plugins/</url>
        </pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>release</activeProfile>
  </activeProfiles>
</settings>
`;

const SECRETS = ['COMMENTED_PASSWORD', 'PLAIN_PASSWORD', 'ENCRYPTED_PASSWORD', 'deployer', 'PRIVATE_KEY_PATH', 'SSH_PASSPHRASE', 'GITLAB_HEADER_TOKEN', 'CDATA_PASSWORD', 'proxyuser', 'PROXY_PASSWORD', 'GPG_PASSPHRASE', 'SONAR_TOKEN_VALUE'];

describe('sanitizeMavenSettings: the settings without a credential', () => {
  test('a real-world settings.xml: every credential gone, servers and proxies whole; mirrors, profiles, repositories and ${env.X} kept', () => {
    const { text, dropped } = kept(sanitizeMavenSettings(REAL_WORLD));
    for (const s of SECRETS) assert.ok(!text.includes(s), `${s} is not in:\n${text}`);
    for (const s of SECRETS) assert.ok(!dropped.join('\n').includes(s), `what went is named, never a value: ${s}`);
    assert.doesNotMatch(text, /<servers|<server>|<proxies|<proxy>|<password|<passphrase|<privateKey|<username|<!--|Private-Token/);
    for (const k of [
      '<?xml version="1.0" encoding="UTF-8"?>',
      'xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd"',
      '<localRepository>${user.home}/.m2/repository</localRepository>',
      '<pluginGroup>org.sonarsource.scanner.maven</pluginGroup>',
      '<mirrorOf>*,!snapshots</mirrorOf>',
      '<url>https://nexus.example.com/repository/maven-public/</url>',
      '<gpg.keyname>ABCDEF12</gpg.keyname>',
      '<nexus.url>${env.NEXUS_URL}</nexus.url>',
      '<banner><![CDATA[a <b>bold</b> banner]]></banner>',
      '<url>https://maven.pkg.github.com/acme/*</url>',
      '<snapshots><enabled>true</enabled></snapshots>',
      '<url>https://nexus.example.com/repository/plugins/</url>',
      '<activeProfile>release</activeProfile>',
    ])
      assert.ok(text.includes(k), `${k} is kept in:\n${text}`);
    assert.deepEqual(dropped, [
      'settings/servers (their credentials and headers: maven reaches the repositories without them)',
      "settings/proxies (the walls' proxy stands in)",
      'settings/profiles/profile/properties/gpg.passphrase',
      'settings/profiles/profile/properties/sonar.login',
    ]);
    // The lines of what went go with it: no blank line is left where they were.
    assert.doesNotMatch(text, /\n[ \t]*\n[ \t]*</);
    // Read again, it is what it was: nothing more to take out, and it is well-formed as written.
    assert.deepEqual(sanitizeMavenSettings(text), { text, dropped: [] });
  });

  test('a credential element wherever it is and however it is written: attributes, spaces in its tags, empty, CDATA, a namespace prefix, another case', () => {
    const input = [
      '<settings>',
      '<profiles><profile><id>p</id><properties>',
      '<deploy.password >ONE</deploy.password >',
      '<github.token a="1">TWO</github.token>',
      '<artifactory.apiKey><![CDATA[THREE]]></artifactory.apiKey>',
      '<s:Password xmlns:s="urn:x">FOUR</s:Password>',
      '<password/>',
      '<nested><inner.credentials><x>FIVE</x></inner.credentials></nested>',
      '<plain>kept</plain>',
      '</properties></profile></profiles>',
      '</settings>',
    ].join('\n');
    const { text, dropped } = kept(sanitizeMavenSettings(input));
    for (const s of ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE']) assert.ok(!text.includes(s), `${s} in:\n${text}`);
    assert.match(text, /<nested>\s*<\/nested>/);
    assert.match(text, /<plain>kept<\/plain>/);
    assert.equal(dropped.length, 6, dropped.join('\n'));
  });

  test('an attribute named as a credential goes, the element stays', () => {
    const { text, dropped } = kept(sanitizeMavenSettings('<settings><mirrors><mirror token="SECRET" id="a"><url>https://m.example/</url></mirror></mirrors></settings>'));
    assert.equal(text, '<settings><mirrors><mirror id="a"><url>https://m.example/</url></mirror></mirrors></settings>');
    assert.deepEqual(dropped, ['settings/mirrors/mirror/@token']);
  });

  test('a user and password in a URL, and a query holding a credential, are taken out; the URL kept', () => {
    const input = '<settings><mirrors><mirror><id>a</id><mirrorOf>*</mirrorOf><url>https://bob:URL_PASSWORD@nexus.example/repo</url></mirror><mirror><id>b</id><mirrorOf>x</mirrorOf><url>https://gitlab.example/api/v4/packages/maven?private_token=QUERY_TOKEN&amp;x=1</url></mirror></mirrors></settings>';
    const { text, dropped } = kept(sanitizeMavenSettings(input));
    assert.ok(!text.includes('URL_PASSWORD') && !text.includes('bob') && !text.includes('QUERY_TOKEN'), text);
    assert.match(text, /<url>https:\/\/nexus\.example\/repo<\/url>/);
    assert.match(text, /<url>https:\/\/gitlab\.example\/api\/v4\/packages\/maven<\/url>/);
    assert.deepEqual(dropped, ['settings/mirrors/mirror/url (a credential in its URL)', 'settings/mirrors/mirror/url (a credential in its URL)']);
  });

  test('a comment goes whole, whatever it holds (an element, a "--", a "<" or a CDATA opening)', () => {
    const { text } = kept(sanitizeMavenSettings('<settings><!-- <password>A</password> <![CDATA[ --><offline>false</offline><!--\n<server>\n<password>B</password>\n</server>\n--></settings>'));
    assert.equal(text, '<settings><offline>false</offline></settings>');
  });

  test('a byte order mark and the XML declaration stay; other instructions go', () => {
    const { text } = kept(sanitizeMavenSettings('\uFEFF<?xml version="1.0"?>\n<?other x?>\n<settings/>\n'));
    assert.equal(text, '\uFEFF<?xml version="1.0"?>\n\n<settings/>\n');
  });

  test('a file not read with certainty is refused whole, and why is said (never a value)', () => {
    const refused: [string, RegExp][] = [
      ['<!DOCTYPE settings [<!ENTITY pw "SECRET">]><settings><servers><server><password>&pw;</password></server></servers></settings>', /DOCTYPE/],
      ['<settings><profiles><profile><properties><a>&pw;</a></properties></profile></profiles></settings>', /entity reference on line 1/],
      ['<settings><mirrors a="&pw;"/></settings>', /entity reference/],
      ['<settings><servers><server><password>SECRET</password></server></settings>', /<\/settings> closes <servers>/],
      ['<settings><servers>', /<servers> does not end/],
      ['<settings>\n<!-- SECRET', /comment that does not end, on line 2/],
      ['<settings><![CDATA[SECRET</settings>', /CDATA section that does not end/],
      ['<settings><a b=c>SECRET</a></settings>', /"<" that starts no element/],
      ['<settings>< password>SECRET</password></settings>', /"<" that starts no element/],
      ['<project><password>SECRET</password></project>', /root element is <project>/],
      ['<settings/><settings/>', /more than one root/],
      ['SECRET<settings/>', /text outside/],
      ['', /no <settings> element/],
    ];
    for (const [input, why] of refused) {
      const copy = sanitizeMavenSettings(input);
      assert.equal(copy.text, null, `refused: ${input}`);
      if (copy.text === null) {
        assert.match(copy.why, why, input);
        assert.ok(!copy.why.includes('SECRET'), copy.why);
      }
    }
    assert.equal(EMPTY_MAVEN_SETTINGS, '<settings/>\n');
    assert.equal(kept(sanitizeMavenSettings(EMPTY_MAVEN_SETTINGS)).text, EMPTY_MAVEN_SETTINGS);
  });

  test('property: whatever the servers, proxies, comments and credential properties hold, none of it reaches the copy, and the copy reads as itself', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9+/=!{}.$-]{6,20}$/).map((s) => `S3CR3T${s}`);
    const wrap = (s: string, how: number) => (how === 0 ? s : how === 1 ? `<![CDATA[${s}]]>` : `\n   ${s}  \n`);
    const piece = fc.oneof(
      fc.tuple(secret, secret, fc.nat(2)).map(([u, p, how]) => `<servers><server><id>x</id><username>${wrap(u, how)}</username><password>${wrap(p, how)}</password></server></servers>`),
      fc.tuple(secret, fc.nat(2)).map(([p, how]) => `<proxies><proxy><host>h</host><port>1</port><password >${wrap(p, how)}</password ></proxy></proxies>`),
      secret.map((p) => `<!-- <password>${p}</password> -->`),
      fc.tuple(fc.constantFrom('gpg.passphrase', 'sonar.login', 'my.token', 'deploy.user', 'repo.pwd', 'x.privateKey', 'aws.accessKey'), secret, fc.nat(2)).map(([name, p, how]) => `<profiles><profile><id>a</id><properties><${name}>${wrap(p, how)}</${name}></properties></profile></profiles>`),
      fc.constant('<mirrors><mirror><id>m</id><mirrorOf>*</mirrorOf><url>https://m.example/r</url></mirror></mirrors>'),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), (pieces) => {
        const input = `<settings>\n  ${pieces.join('\n  ')}\n</settings>\n`;
        const { text } = kept(sanitizeMavenSettings(input));
        assert.ok(!text.includes('S3CR3T'), text);
        assert.deepEqual(sanitizeMavenSettings(text), { text, dropped: [] });
      }),
      { numRuns: 300 },
    );
  });
});

describe('mavenSettingsFiles: where maven may read the person\'s settings', () => {
  test('the home folder\'s and the account\'s (the JVM\'s user.home, whatever $HOME says), once each', () => {
    assert.deepEqual(mavenSettingsFiles({ home: '/h', accountHome: '/acct', env: {} }), ['/h/.m2/settings.xml', '/acct/.m2/settings.xml']);
    assert.deepEqual(mavenSettingsFiles({ home: '/h', accountHome: '/h', env: {} }), ['/h/.m2/settings.xml']);
    // maven.home's global settings (Debian: /usr/share/maven/conf, a link to /etc/maven).
    assert.deepEqual(mavenSettingsFiles({ home: '/h', env: {}, mavenHome: '/usr/share/maven' }), ['/h/.m2/settings.xml', '/usr/share/maven/conf/settings.xml']);
  });

  test('user.home and Maven 4\'s settings properties from the JVM options; -s and -gs from MAVEN_ARGS; ~ and $HOME read as the home; relative paths are the repository\'s', () => {
    const env = {
      MAVEN_OPTS: '-Xmx1g -Duser.home=/data/me',
      JAVA_TOOL_OPTIONS: '-Dmaven.user.conf=~/conf/m2',
      JDK_JAVA_OPTIONS: '-Dmaven.user.settings=/etc/me/settings.xml',
      MAVEN_ARGS: '-B -s /work/settings.xml --global-settings=$HOME/global.xml -s .mvn/local-settings.xml',
    };
    assert.deepEqual(mavenSettingsFiles({ home: '/h', env }), ['/h/.m2/settings.xml', '/data/me/.m2/settings.xml', '/h/conf/m2/settings.xml', '/etc/me/settings.xml', '/work/settings.xml', '/h/global.xml']);
  });

  test('what ~/.mavenrc sets (quoted, exported), and nothing a shell test names that is not an .xml file', () => {
    const mavenrc = ['export JAVA_HOME=/usr/lib/jvm/java-17', 'MAVEN_OPTS="$MAVEN_OPTS -Duser.home=${HOME}/alt"', "MAVEN_ARGS='--settings /srv/team-settings.xml'", 'if [ -s "$HOME/notes" ]; then :; fi'].join('\n');
    assert.deepEqual(mavenSettingsFiles({ home: '/h', env: {}, mavenrc }), ['/h/.m2/settings.xml', '/h/alt/.m2/settings.xml', '/srv/team-settings.xml']);
  });
});

describe('mavenrcSecrets: a ~/.mavenrc that sets a credential', () => {
  test('variables and -D properties named as credentials, by name; a plain one is no secret', () => {
    assert.deepEqual(mavenrcSecrets('export JAVA_HOME=/usr/lib/jvm/17\nMAVEN_OPTS="-Xmx2g"\n'), []);
    assert.deepEqual(mavenrcSecrets('export NEXUS_PASSWORD=hunter2\nMAVEN_OPTS="$MAVEN_OPTS -Dgpg.passphrase=x -Dfoo=1"\nGITHUB_TOKEN=abc; export GITHUB_TOKEN\n'), ['NEXUS_PASSWORD', 'gpg.passphrase', 'GITHUB_TOKEN']);
  });
});

describe('bwrapArgs: a replaced file', () => {
  const kinds: Record<string, 'file' | 'dir'> = { '/h/.m2/settings.xml': 'file', '/a/m2-settings.xml': 'file', '/h/.npmrc': 'file', '/h/gone-copy.xml': 'file' };
  const kind = (p: string) => kinds[p] ?? null;
  const plan = { worktree: '/w', write: [], readBack: [], hidden: ['/h/.npmrc'], network: null };

  test('its copy bound read-only in its place, before the secrets; an empty file when the copy is not there; nothing for a file that is not', () => {
    const args = bwrapArgs({ ...plan, replaced: [{ path: '/h/.m2/settings.xml', with: '/a/m2-settings.xml' }, { path: '/h/gone-copy.xml', with: '/a/missing.xml' }, { path: '/h/none.xml', with: '/a/m2-settings.xml' }] }, kind);
    const at = (a: string, b: string, c: string) => args.findIndex((x, i) => x === a && args[i + 1] === b && args[i + 2] === c);
    assert.ok(at('--ro-bind', '/a/m2-settings.xml', '/h/.m2/settings.xml') > 0, args.join(' '));
    assert.ok(at('--ro-bind', '/dev/null', '/h/gone-copy.xml') > 0, args.join(' '));
    assert.ok(!args.includes('/h/none.xml'));
    assert.ok(at('--ro-bind', '/a/m2-settings.xml', '/h/.m2/settings.xml') < at('--ro-bind', '/dev/null', '/h/.npmrc'));
  });

  test('a file the person hid stays hidden: the secret\'s mount comes after', () => {
    const args = bwrapArgs({ ...plan, hidden: ['/h/.m2/settings.xml'], replaced: [{ path: '/h/.m2/settings.xml', with: '/a/m2-settings.xml' }] }, kind);
    assert.equal(args.lastIndexOf('/h/.m2/settings.xml'), args.indexOf('/dev/null') + 1, args.join(' '));
  });
});
