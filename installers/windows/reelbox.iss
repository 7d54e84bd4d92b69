; Inno Setup script for Reelbox on Windows: a per-user install (no admin prompt) of the
; PyInstaller one-folder app in dist\Reelbox, with a Start menu entry and the magnet: and
; .torrent handlers registered for the current user. Build on Windows after PyInstaller:
;   iscc /DAppVersion=0.1.0 installers\windows\reelbox.iss   -> dist\Reelbox-0.1.0-windows-x64-setup.exe
; tests/test_installers.py checks the registry entries and the install folder.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6B2E1D0C-7F4A-4C4B-9E55-2C8D4C1B7A31}
AppName=Reelbox
AppVersion={#AppVersion}
AppPublisher=The Reelbox developers
AppPublisherURL=https://github.com/reelbox/reelbox
DefaultDirName={localappdata}\Programs\Reelbox
DisableProgramGroupPage=yes
DisableDirPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Reelbox-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\reelbox.exe
ChangesAssociations=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\Reelbox\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Reelbox"; Filename: "{app}\reelbox.exe"
Name: "{autodesktop}\Reelbox"; Filename: "{app}\reelbox.exe"; Tasks: desktopicon

[Registry]
; magnet: links -> "reelbox.exe" "magnet:?..."; a running copy receives the link.
Root: HKCU; Subkey: "Software\Classes\magnet"; ValueType: string; ValueName: ""; ValueData: "URL:Magnet link"
Root: HKCU; Subkey: "Software\Classes\magnet"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\magnet\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\reelbox.exe"",0"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\magnet\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\reelbox.exe"" ""%1"""; Flags: uninsdeletevalue
; .torrent files -> the Reelbox.torrent type, opened the same way.
Root: HKCU; Subkey: "Software\Classes\.torrent"; ValueType: string; ValueName: ""; ValueData: "Reelbox.torrent"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\.torrent"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-bittorrent"
Root: HKCU; Subkey: "Software\Classes\.torrent\OpenWithProgids"; ValueType: string; ValueName: "Reelbox.torrent"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\Reelbox.torrent"; ValueType: string; ValueName: ""; ValueData: "BitTorrent file"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Reelbox.torrent\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\reelbox.exe"",0"
Root: HKCU; Subkey: "Software\Classes\Reelbox.torrent\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\reelbox.exe"" ""%1"""

[Run]
Filename: "{app}\reelbox.exe"; Description: "{cm:LaunchProgram,Reelbox}"; Flags: nowait postinstall skipifsilent
