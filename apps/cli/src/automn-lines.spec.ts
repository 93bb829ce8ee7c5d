import { AutomnLines } from './automn-lines';

describe('Automn markers in a script’s output', () => {
  it('renders logs, notifications and the return value as lines a person reads', () => {
    const lines = new AutomnLines({ color: false });
    expect(lines.render('__SCRIPTLOG__{"message":"disk almost full","level":"warn","context":{"free":"2G"},"type":"general"}')).toEqual([
      '[warn] disk almost full {"free":"2G"}',
    ]);
    expect(lines.render('__SCRIPTLOG__{"message":"step 1","level":"info","context":null,"type":"general"}')).toEqual(['[info] step 1']);
    expect(lines.render('__SCRIPTNOTIFY__{"audience":"ops","message":"done","level":"info"}')).toEqual(['[notify ops] done']);
    expect(lines.render('__SCRIPTRETURN__{"ok":true}')).toEqual(['[return] {"ok":true}']);
    expect(lines.render('plain text')).toEqual(['plain text']);
  });

  it('keeps text before a marker, and leaves a later return marker or a payload that is not JSON as it was (as Automn does)', () => {
    const lines = new AutomnLines({ color: false });
    expect(lines.render('progress: __SCRIPTLOG__{"message":"half","level":"success"}')).toEqual(['progress: ', '[success] half']);
    expect(lines.render('__SCRIPTLOG__{not json')).toEqual(['__SCRIPTLOG__{not json']);
    expect(lines.render('__SCRIPTRETURN__1')).toEqual(['[return] 1']);
    expect(lines.render('__SCRIPTRETURN__2')).toEqual(['__SCRIPTRETURN__2']);
  });

  it('colours levels on a terminal', () => {
    expect(new AutomnLines({ color: true }).render('__SCRIPTLOG__{"message":"bad","level":"error"}')).toEqual([
      '\x1b[31m[error]\x1b[0m bad',
    ]);
  });
});
