/** Agents talk back (ADR 0036): the engine's end of each attempt's `waves` MCP server. */
export { TalkListener, MAX_CALLS, MAX_CALLS_PER_SECOND, type TalkHandler } from './talkListener';
export { callTalkSocket, MAX_TALK_LINE, TALK_CONFIG, TALK_SERVER_SCRIPT, TALK_SOCKET, TALK_TOKEN_ENV, type TalkAnswer, type TalkRequest } from './talkWire';
export { mcpConfigText, personsMcpServers, repositoryMcpServers } from './quietServers';
