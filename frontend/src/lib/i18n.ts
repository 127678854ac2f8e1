/** English and Korean UI text, picked once from the browser's language. */

const en = {
  appName: 'Rooms',
  'status.connected': 'Connected',
  'status.connecting': 'Connecting…',
  'status.reconnecting': 'Reconnecting…',
  'status.offline': 'Offline',
  'status.http': 'HTTP mode',
  'status.httpHint': 'Live connection unavailable; sending and checking for messages every few seconds.',
  'status.offlineHint': 'The server cannot be reached; retrying.',
  'status.retryIn': 'retry in {seconds} s',
  'signin.title': 'Welcome to Rooms',
  'signin.subtitle': 'Pick a name and join the conversation.',
  'signin.nameLabel': 'Display name',
  'signin.namePlaceholder': 'e.g. Mina',
  'signin.guest': 'Continue as guest',
  'signin.google': 'Sign in with Google',
  'signin.or': 'or',
  'signin.none': 'Sign-in is not available on this server right now. Please contact the administrator.',
  'signin.failed': 'Could not sign in: {detail}',
  'signin.unreachable': 'The server could not be reached. Retrying…',
  'signout': 'Sign out',
  'rooms.title': 'Rooms',
  'rooms.subtitle': 'Join a room to start chatting.',
  'rooms.online': '{count} online',
  'rooms.empty': 'No rooms yet.',
  'rooms.archived': 'Archived',
  'rooms.noActivity': 'No messages yet',
  'rooms.lastActivity': 'Active {when}',
  'rooms.loadFailed': 'Could not load rooms. Retrying…',
  'rooms.loading': 'Loading rooms…',
  'chat.leave': 'Leave',
  'chat.leaveLabel': 'Leave room and go back to the list',
  'chat.messagesLabel': 'Messages',
  'chat.composerLabel': 'Message',
  'chat.composerPlaceholder': 'Write a message…',
  'chat.send': 'Send',
  'chat.archived': 'This room is archived and read-only.',
  'chat.archivedBanner': 'This room has been archived by a moderator; it is read-only.',
  'chat.archivedModerator': 'As a moderator you can still edit and delete messages.',
  'chat.loadingOlder': 'Loading earlier messages…',
  'chat.beginning': 'This is the beginning of the room.',
  'chat.loadOlder': 'Load earlier messages',
  'chat.newMessages': 'New messages',
  'chat.joined': '{name} joined',
  'chat.left': '{name} left',
  'chat.you': 'you',
  'chat.deleted': 'message deleted',
  'chat.edited': 'edited',
  'chat.edit': 'Edit',
  'chat.delete': 'Delete',
  'chat.save': 'Save',
  'chat.cancel': 'Cancel',
  'chat.editLabel': 'Edit message',
  'chat.confirmDelete': 'Delete this message?',
  'chat.sending': 'Sending…',
  'chat.waiting': 'Waiting for connection…',
  'chat.failed': 'Not sent',
  'chat.retry': 'Retry',
  'chat.discard': 'Discard',
  'chat.retryIn': 'Try again in {seconds} s.',
  'chat.typing.one': '{a} is typing…',
  'chat.typing.two': '{a} and {b} are typing…',
  'chat.typing.many': 'Several people are typing…',
  'chat.online': 'Online — {count}',
  'chat.onlineMore': 'and {count} more',
  'chat.onlineStale': 'Not live — may be out of date',
  'chat.onlineToggle': 'Show who is online',
  'chat.loading': 'Loading the room…',
  'chat.actionFailed': 'That did not work: {detail}',
  'chat.signedOut': 'You were signed out.',
  'chat.forbidden': 'Your account is not allowed to join this room.',
  'chat.notFound': 'This room does not exist.',
  'chat.empty': 'No messages yet. Say hello!',
  'rooms.unread.one': '{count} unread',
  'rooms.unread.other': '{count} unread',
  'rooms.mentions.one': '{count} mention',
  'rooms.mentions.other': '{count} mentions',
  'rooms.markRead': 'Mark {name} as read',
  'chat.unreadDivider': 'New messages',
  'chat.markAllRead': 'Mark all as read',
  'chat.notifyLabel': 'Notifications',
  'chat.notify.all': 'All messages',
  'chat.notify.mentions': 'Mentions',
  'chat.notify.muted': 'Muted',
  'chat.mentionsElsewhere.one': '{count} mention elsewhere',
  'chat.mentionsElsewhere.other': '{count} mentions elsewhere',
  'chat.mentionsYou': 'Mentions you',
  'chat.mentionSuggestions': 'People to mention',
  'chat.mentionRoom': 'Everyone in this room',
  'chat.reply': 'Reply',
  'chat.replyTo': 'Reply to {name}',
  'chat.replyingTo': 'Replying to {name}: {excerpt}',
  'chat.cancelReply': 'Cancel reply',
  'chat.goToMessage': "Go to {name}'s message: {excerpt}",
  'chat.originalDeleted': 'Original message deleted',
  'chat.react': 'React',
  'chat.reactTo': "React to {name}'s message",
  'chat.reactions': 'Reactions',
  'chat.reactionLabel': '{emoji} {count}: {names}',
  'chat.reactionOthers.one': 'and {count} other',
  'chat.reactionOthers.other': 'and {count} others',
  'chat.reactWith': 'React with {emoji}',
  'chat.emojiPicker': 'Choose a reaction',
  'chat.emojiRecent': 'Recent',
  'chat.emojiCommon': 'Common',
  'chat.emojiInput': 'Any emoji',
  'chat.emojiInputHint': 'Type or paste an emoji',
  'chat.emojiAdd': 'Add',
  'chat.closePicker': 'Close',
  'notify.enable': 'Enable notifications',
  'notify.mention': '{name} mentioned you in {room}',
  'notify.roomMention': '{name} mentioned @room in {room}',
  'notify.watch': '{name} in {room}',
  'user.staff': 'Staff',
  'user.staffHint': 'A member of the site staff',
  'error.config': 'The app is misconfigured: {detail}',
  'error.body_too_long': 'The message is too long ({max} characters at most).',
  'error.rate_limited': 'You are sending too fast.',
  'error.empty_body': 'The message is empty.',
  'error.room_archived': 'This room is read-only.',
  'error.unavailable': 'The server could not store it.',
  'error.message_deleted': 'This message has already been deleted.',
  'error.permission_denied': 'You may not change this message.',
  'error.not_found': 'This message no longer exists.',
  'error.too_many_mentions': 'A message can mention at most {max} people.',
  'error.too_many_mentions_unknown': 'This message mentions too many people.',
  'error.room_mention_not_allowed': 'Only moderators can mention @room in this room.',
  'error.invalid_reply': 'The message you replied to is not in this room.',
  'error.reply_deleted': 'The message you replied to has been deleted.',
  'error.invalid_emoji': 'That is not a single emoji.',
  'error.too_many_reactions': 'This message has as many different reactions as it can hold.',
};

export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  appName: 'Rooms',
  'status.connected': '연결됨',
  'status.connecting': '연결 중…',
  'status.reconnecting': '다시 연결하는 중…',
  'status.offline': '오프라인',
  'status.http': 'HTTP 모드',
  'status.httpHint': '실시간 연결을 쓸 수 없어 몇 초마다 메시지를 주고받습니다.',
  'status.offlineHint': '서버에 연결할 수 없어 다시 시도하는 중입니다.',
  'status.retryIn': '{seconds}초 후 재시도',
  'signin.title': 'Rooms에 오신 것을 환영합니다',
  'signin.subtitle': '이름을 정하고 대화에 참여하세요.',
  'signin.nameLabel': '표시 이름',
  'signin.namePlaceholder': '예: 민아',
  'signin.guest': '게스트로 계속하기',
  'signin.google': 'Google로 로그인',
  'signin.or': '또는',
  'signin.none': '지금은 이 서버에서 로그인할 수 없습니다. 관리자에게 문의하세요.',
  'signin.failed': '로그인하지 못했습니다: {detail}',
  'signin.unreachable': '서버에 연결할 수 없습니다. 다시 시도하는 중…',
  signout: '로그아웃',
  'rooms.title': '채팅방',
  'rooms.subtitle': '채팅방에 들어가 대화를 시작하세요.',
  'rooms.online': '{count}명 접속 중',
  'rooms.empty': '아직 채팅방이 없습니다.',
  'rooms.archived': '보관됨',
  'rooms.noActivity': '아직 메시지가 없습니다',
  'rooms.lastActivity': '최근 활동 {when}',
  'rooms.loadFailed': '채팅방 목록을 불러오지 못했습니다. 다시 시도하는 중…',
  'rooms.loading': '채팅방을 불러오는 중…',
  'chat.leave': '나가기',
  'chat.leaveLabel': '채팅방을 나가 목록으로 돌아가기',
  'chat.messagesLabel': '메시지',
  'chat.composerLabel': '메시지',
  'chat.composerPlaceholder': '메시지를 입력하세요…',
  'chat.send': '보내기',
  'chat.archived': '보관된 채팅방이라 읽기만 할 수 있습니다.',
  'chat.archivedBanner': '운영자가 이 채팅방을 보관했습니다. 읽기만 할 수 있습니다.',
  'chat.archivedModerator': '운영자는 메시지를 계속 수정하고 삭제할 수 있습니다.',
  'chat.loadingOlder': '이전 메시지를 불러오는 중…',
  'chat.beginning': '채팅방의 첫 메시지입니다.',
  'chat.loadOlder': '이전 메시지 불러오기',
  'chat.newMessages': '새 메시지',
  'chat.joined': '{name} 님이 들어왔습니다',
  'chat.left': '{name} 님이 나갔습니다',
  'chat.you': '나',
  'chat.deleted': '삭제된 메시지',
  'chat.edited': '수정됨',
  'chat.edit': '수정',
  'chat.delete': '삭제',
  'chat.save': '저장',
  'chat.cancel': '취소',
  'chat.editLabel': '메시지 수정',
  'chat.confirmDelete': '이 메시지를 삭제할까요?',
  'chat.sending': '보내는 중…',
  'chat.waiting': '연결을 기다리는 중…',
  'chat.failed': '전송 실패',
  'chat.retry': '다시 보내기',
  'chat.discard': '버리기',
  'chat.retryIn': '{seconds}초 후에 다시 시도하세요.',
  'chat.typing.one': '{a} 님이 입력 중…',
  'chat.typing.two': '{a} 님과 {b} 님이 입력 중…',
  'chat.typing.many': '여러 명이 입력 중…',
  'chat.online': '접속 중 — {count}',
  'chat.onlineMore': '외 {count}명',
  'chat.onlineStale': '실시간 아님 — 최신이 아닐 수 있습니다',
  'chat.onlineToggle': '접속 중인 사람 보기',
  'chat.loading': '채팅방을 불러오는 중…',
  'chat.actionFailed': '실패했습니다: {detail}',
  'chat.signedOut': '로그아웃되었습니다.',
  'chat.forbidden': '이 계정으로는 채팅방에 들어갈 수 없습니다.',
  'chat.notFound': '없는 채팅방입니다.',
  'chat.empty': '아직 메시지가 없습니다. 먼저 인사해 보세요!',
  'rooms.unread.one': '읽지 않은 메시지 {count}개',
  'rooms.unread.other': '읽지 않은 메시지 {count}개',
  'rooms.mentions.one': '멘션 {count}개',
  'rooms.mentions.other': '멘션 {count}개',
  'rooms.markRead': '{name} 읽음으로 표시',
  'chat.unreadDivider': '새 메시지',
  'chat.markAllRead': '모두 읽음으로 표시',
  'chat.notifyLabel': '알림',
  'chat.notify.all': '모든 메시지',
  'chat.notify.mentions': '멘션만',
  'chat.notify.muted': '알림 끔',
  'chat.mentionsElsewhere.one': '다른 채팅방에 멘션 {count}개',
  'chat.mentionsElsewhere.other': '다른 채팅방에 멘션 {count}개',
  'chat.mentionsYou': '나를 멘션함',
  'chat.mentionSuggestions': '멘션할 사람',
  'chat.mentionRoom': '이 채팅방의 모든 사람',
  'chat.reply': '답장',
  'chat.replyTo': '{name} 님에게 답장',
  'chat.replyingTo': '{name} 님에게 답장 중: {excerpt}',
  'chat.cancelReply': '답장 취소',
  'chat.goToMessage': '{name} 님의 메시지로 이동: {excerpt}',
  'chat.originalDeleted': '원본 메시지가 삭제됨',
  'chat.react': '반응',
  'chat.reactTo': '{name} 님의 메시지에 반응하기',
  'chat.reactions': '반응',
  'chat.reactionLabel': '{emoji} {count}: {names}',
  'chat.reactionOthers.one': '외 {count}명',
  'chat.reactionOthers.other': '외 {count}명',
  'chat.reactWith': '{emoji}(으)로 반응하기',
  'chat.emojiPicker': '반응 고르기',
  'chat.emojiRecent': '최근',
  'chat.emojiCommon': '자주 쓰는 반응',
  'chat.emojiInput': '다른 이모지',
  'chat.emojiInputHint': '이모지 입력 또는 붙여 넣기',
  'chat.emojiAdd': '추가',
  'chat.closePicker': '닫기',
  'notify.enable': '알림 켜기',
  'notify.mention': '{name} 님이 {room}에서 나를 멘션했습니다',
  'notify.roomMention': '{name} 님이 {room}에서 @room을 멘션했습니다',
  'notify.watch': '{room}의 {name} 님',
  'user.staff': '운영진',
  'user.staffHint': '사이트 운영진',
  'error.config': '앱 설정이 잘못되었습니다: {detail}',
  'error.body_too_long': '메시지가 너무 깁니다 (최대 {max}자).',
  'error.rate_limited': '메시지를 너무 빨리 보내고 있습니다.',
  'error.empty_body': '빈 메시지입니다.',
  'error.room_archived': '읽기 전용 채팅방입니다.',
  'error.unavailable': '서버가 메시지를 저장하지 못했습니다.',
  'error.message_deleted': '이미 삭제된 메시지입니다.',
  'error.permission_denied': '이 메시지를 바꿀 권한이 없습니다.',
  'error.not_found': '이 메시지는 더 이상 없습니다.',
  'error.too_many_mentions': '메시지 하나에 최대 {max}명까지 멘션할 수 있습니다.',
  'error.too_many_mentions_unknown': '이 메시지는 너무 많은 사람을 멘션합니다.',
  'error.room_mention_not_allowed': '이 채팅방에서는 운영자만 @room을 멘션할 수 있습니다.',
  'error.invalid_reply': '답장하려는 메시지가 이 채팅방에 없습니다.',
  'error.reply_deleted': '답장하려는 메시지가 삭제되었습니다.',
  'error.invalid_emoji': '이모지 하나만 쓸 수 있습니다.',
  'error.too_many_reactions': '이 메시지에는 더 이상 다른 반응을 달 수 없습니다.',
};

export type Locale = 'en' | 'ko';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, ko };

export function pickLocale(languages: readonly string[]): Locale {
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'ko' || base === 'en') return base;
  }
  return 'en';
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function createTranslator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, params) => {
    const text = dict[key] ?? en[key];
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(params[name] ?? m)) : text;
  };
}

/** Texts with a `.one` and an `.other` form, picked by the count's plural category. */
export type CountedKey = {
  [K in MessageKey]: K extends `${infer Base}.one` ? (`${Base}.other` extends MessageKey ? Base : never) : never;
}[MessageKey];

export type TranslateCount = (key: CountedKey, count: number) => string;

export function createCountTranslator(locale: Locale): TranslateCount {
  const translate = createTranslator(locale);
  const rules = new Intl.PluralRules(locale);
  return (key, count) => translate(`${key}.${rules.select(count) === 'one' ? 'one' : 'other'}` as MessageKey, { count });
}

/** Like Translate, for parameters that are not plain text (a user's name in its own element). */
export type TranslateParts = <T>(key: MessageKey, params: Record<string, T>) => (string | T)[];

/** The text cut at its `{name}`s, each replaced by its parameter; empty pieces are left out. */
export function createPartsTranslator(locale: Locale): TranslateParts {
  const dict = dictionaries[locale];
  return <T>(key: MessageKey, params: Record<string, T>) => {
    const pieces = (dict[key] ?? en[key]).split(/\{(\w+)\}/);
    // split() with a group puts the names at the odd places.
    return pieces
      .map((piece, i) => (i % 2 === 1 ? (Object.hasOwn(params, piece) ? (params[piece] as T) : `{${piece}}`) : piece))
      .filter((piece) => piece !== '');
  };
}

const browserLanguages =
  typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];

export const locale: Locale = pickLocale(browserLanguages);
export const t: Translate = createTranslator(locale);
export const tParts: TranslateParts = createPartsTranslator(locale);
export const tCount: TranslateCount = createCountTranslator(locale);
