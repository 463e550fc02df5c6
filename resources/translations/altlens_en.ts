<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en" sourcelanguage="en">
  <context>
    <name>AboutDialog</name>
    <message>
      <source>About AltLens</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>AltLens %1

Suggests alt text and captions for your photos, on this computer. Nothing is written into a photo until you approve it, and every write can be undone.

Licensed under the GNU General Public License, version 3 or later.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Actions</name>
    <message>
      <source>&amp;Add Images…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Choose image files to caption now</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add &amp;Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption every image in a folder once, or watch it</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Watch Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption new images in a folder as they arrive</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Models…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>See, download, import or remove captioning models</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Import Model Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Use a model folder copied from another computer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Settings…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Model, decoding and writing options</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Quit</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close AltLens; approved writes finish first</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approve and &amp;Write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write this alt text into the image's metadata</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Preview Write…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show which fields would be written, with their old and new values</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approve and Write &amp;Selected</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approve the text of every selected image and write it</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>S&amp;kip for Now</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Leave this image undecided and go to the next one needing review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Reject</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No suggestion is usable; write nothing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Re&amp;generate</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption this image again with a wider beam search and more suggestions</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Regenerate with &amp;Varied Wording</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption this image again by sampling, for different wording</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Describe in Detail</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Ask the detail model for a long description of this image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Read Te&amp;xt in Image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Ask the detail model for the text in this image (signs, labels, pages)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Insert into Alt Text</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Put the detail model's last answer into the alt text at the cursor</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cancel &amp;Detail</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stop describing or reading text in this image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Undo Last Write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Put back what the file held before AltLens's last write to it</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Re&amp;try</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption this image again after an error</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove from &amp;List</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Take the selected images off the list and out of the library; files are not touched</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Use Suggestion &amp;%1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Put suggestion %1 into the alt text field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Next Image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open the next image in the list</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Previous Image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open the previous image in the list</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Next &amp;Needing Review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open the next image whose suggestion nobody has reviewed</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Previous Needing Re&amp;view</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open the previous image needing review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Next &amp;Pane</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Move the focus to the next part of the window</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Previous P&amp;ane</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Move the focus to the previous part of the window</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Pause Captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Finish the images in the model, then wait</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Cancel Captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stop now and empty the queue</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Retry &amp;Failed Images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption every image with an error again</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Sort by &amp;Confidence, Lowest First</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Review first the images the model is least sure about</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Thumbnail Grid</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show images as a grid of thumbnails instead of a list</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show &amp;Log</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show what AltLens did and any problems</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Messages…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Every message of this session in full, newest last</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Keyboard Shortcuts</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>List every command and its keys</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;About AltLens</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show only: %1</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Announcements</name>
    <message>
      <source>Settings saved.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Looking for images in %n folder(s)…</source>
      <translation>
        <numerusform>Looking for images in %n folder…</numerusform>
        <numerusform>Looking for images in %n folders…</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>Watching %n folder(s); their images are captioned, and new ones as they arrive.</source>
      <translation>
        <numerusform>Watching %n folder; their images are captioned, and new ones as they arrive.</numerusform>
        <numerusform>Watching %n folders; their images are captioned, and new ones as they arrive.</numerusform>
      </translation>
    </message>
    <message>
      <source>Stopped watching %1; its images stay in the list.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Folder %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Could not read the folder: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No images found in %1.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>%n image(s) from earlier need(s) review. Press F8 to start.</source>
      <translation>
        <numerusform>%n image from earlier needs review. Press F8 to start.</numerusform>
        <numerusform>%n images from earlier need review. Press F8 to start.</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>Library loaded: %n image(s), none waiting for review.</source>
      <translation>
        <numerusform>Library loaded: %n image, none waiting for review.</numerusform>
        <numerusform>Library loaded: %n images, none waiting for review.</numerusform>
      </translation>
    </message>
    <message>
      <source>Could not load the library: %1</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>%n image(s) left the list: deleted or moved on disk.</source>
      <translation>
        <numerusform>%n image left the list: deleted or moved on disk.</numerusform>
        <numerusform>%n images left the list: deleted or moved on disk.</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n image(s) added; captioning now.</source>
      <translation>
        <numerusform>%n image added; captioning now.</numerusform>
        <numerusform>%n images added; captioning now.</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n image(s) added; they wait until a captioning model is ready.</source>
      <translation>
        <numerusform>%n image added; they wait until a captioning model is ready.</numerusform>
        <numerusform>%n images added; they wait until a captioning model is ready.</numerusform>
      </translation>
    </message>
    <message>
      <source>These images are already in the list.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Removed %n image(s) from the list; the files are untouched.</source>
      <translation>
        <numerusform>Removed %n image from the list; the files are untouched.</numerusform>
        <numerusform>Removed %n images from the list; the files are untouched.</numerusform>
      </translation>
    </message>
    <message>
      <source>Model ready: %1 on %2.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Captioning finished: %n suggestion(s) ready for review</source>
      <translation>
        <numerusform>Captioning finished: %n suggestion ready for review</numerusform>
        <numerusform>Captioning finished: %n suggestions ready for review</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>; %n image(s) could not be captioned</source>
      <translation>
        <numerusform>; %n image could not be captioned</numerusform>
        <numerusform>; %n images could not be captioned</numerusform>
      </translation>
    </message>
    <message>
      <source>Captioning paused; the images in the model finish first.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captioning resumed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captioning cancelled; waiting images were taken out of the queue.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>New suggestion for %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 could not be captioned: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>First suggestion ready: %1 is open for review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>First suggestion ready: %1. Press F8 for the next image needing review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>with varied wording</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>with a wider search</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Making new suggestions for %1 %2…</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Trying %n image(s) again.</source>
      <translation>
        <numerusform>Trying %n image again.</numerusform>
        <numerusform>Trying %n images again.</numerusform>
      </translation>
    </message>
    <message>
      <source>No images have errors.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Reading the text in %1 with %2… Press Escape to cancel.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Describing %1 in detail with %2… Press Escape to cancel.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Context given to the model for %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No context found for %1; the model sees the photo only.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Detailed description ready for %1, in the long description.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Text in %1, added to the long description: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No text found in %1.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No detailed description for %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The detail model could not work on %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stopped working on %1; nothing was changed.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The detail model is still working on %1; wait, or press Escape.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Nothing to insert yet: use Describe in Detail or Read Text in Image first.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Inserted into the alt text; it now has %n character(s).</source>
      <translation>
        <numerusform>Inserted into the alt text; it now has %n character.</numerusform>
        <numerusform>Inserted into the alt text; it now has %n characters.</numerusform>
      </translation>
    </message>
    <message>
      <source>%1, %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The list is empty.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>This is the last image.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>This is the first image.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No other image needs review; %1, open now, still does.</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Nothing to review yet; %n image(s) still waiting for the model.</source>
      <translation>
        <numerusform>Nothing to review yet; %n image still waiting for the model.</numerusform>
        <numerusform>Nothing to review yet; %n images still waiting for the model.</numerusform>
      </translation>
    </message>
    <message>
      <source>Nothing left to review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Marked as decorative.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No longer marked as decorative.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>There is no suggestion %1.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Using suggestion %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No image is open. Press F8 to open the next one needing review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 is being written; wait a moment.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Skipped %1; it comes back after the others.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Rejected %1; nothing will be written.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 approved as decorative; nothing is written into the file.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approved %1, but not written: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>None of the selected images has alt text ready to write.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Writing into files is not available in this installation.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Nothing was written.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cannot write %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Writing %n image(s)…</source>
      <translation>
        <numerusform>Writing %n image…</numerusform>
        <numerusform>Writing %n images…</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>Written to %1: %n field(s).</source>
      <translation>
        <numerusform>Written to %1: %n field.</numerusform>
        <numerusform>Written to %1: %n fields.</numerusform>
      </translation>
    </message>
    <message>
      <source>%1 already held this text; nothing needed writing.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Could not record the approval of %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Could not record the decision about %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Could not write %1: %2</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Undid the last write to %1; the file holds its earlier text again.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Could not undo the write to %1: %2</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>CandidateListModel</name>
    <message>
      <source>Suggestion %1: %2, %3</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>, in use</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Press Alt+%1 (or %1 in this list) to use this suggestion</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>CrashDialog</name>
    <message>
      <source>AltLens hit an unexpected error</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>(the report could not be saved)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Something went wrong inside AltLens. Your settings, your library and your photos are unchanged. A report was saved to:
%1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Error details</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>OK</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Detail</name>
    <message>
      <source>Reading the text in %1…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Describing %1 in detail…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Text in the image: “%1”</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Dialogs</name>
    <message>
      <source>Column headers</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Row numbers</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>FolderDropDialog</name>
    <message>
      <source>Add folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>What should AltLens do with the images in:
%1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Include &amp;subfolders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Include subfolders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption &amp;Once</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption once</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption the images there now, ahead of watched folders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Watch Folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Watch folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption them, and new images as they arrive</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cancel</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Folders</name>
    <message>
      <source>with subfolders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>this folder only</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>paused</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>FoldersPanel</name>
    <message>
      <source>Watched folders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>New images in these folders are captioned as they arrive</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No watched folders. Add one to caption new photos as they arrive.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Subfolders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Paused</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add watched folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stop watching the selected folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Its images stay in the list and nothing is deleted</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Include subfolders of the selected folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Pause watching the selected folder</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Intake</name>
    <message>
      <source>Add images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Images (%1);;All files (*)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Watch folder</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>LogPanel</name>
    <message>
      <source>Log</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Messages from AltLens, newest last</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show &amp;problems only</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show problems only</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>C&amp;lear</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Clear the log view</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The log file on disk is kept</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>AltLens</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Which images the list shows, by review status</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Sort by confidence, lowest first</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Put the images the model is least sure about first</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Press Enter to review the selected image; Delete removes it from the list</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Sho&amp;w:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>L&amp;owest confidence first</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add Images…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Add folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open &amp;Model Manager…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>See, download or import captioning models</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Import Model Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Use a model folder copied from another computer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Try Again</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Load the model again</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Status</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The latest message from AltLens; all of them are in View, Messages</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Log</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Watched Folders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;File</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Go</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;View</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show &amp;Watched Folders</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Help</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>More menus</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show the menus that do not fit</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Main toolbar</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>More toolbar commands</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show the toolbar commands that do not fit in the window</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 (%2)</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>%n need(s) review — AltLens</source>
      <translation>
        <numerusform>%n needs review — AltLens</numerusform>
        <numerusform>%n need review — AltLens</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>AltLens — %n need(s) review</source>
      <translation>
        <numerusform>AltLens — %n needs review</numerusform>
        <numerusform>AltLens — %n need review</numerusform>
      </translation>
    </message>
    <message>
      <source>No images yet.
Drop photos or folders here, or add them with Ctrl+O (images) or Ctrl+Shift+O (a folder).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No images here: %1. Choose another filter with Ctrl+1 (all images).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Loading the captioning model…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 is loading. You can add images meanwhile; they are captioned when it is ready.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Resume Captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Pause Captioning</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>MessagesDialog</name>
    <message>
      <source>Messages</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Messages of this session, newest last:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Every message of this session, newest last</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ModelCatalog</name>
    <message>
      <source>In use, from %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>In use</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>in use</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>default</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>imported</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>on this computer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>not downloaded</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Model</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>State</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Size</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Family</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Good for</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Licence</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>about %1</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ModelManagerDialog</name>
    <message>
      <source>Models</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Column headers</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Row numbers</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captioning models AltLens knows; select one to act on it</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Use This Model</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Caption with the selected model from now on</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Download</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Download the selected model from Hugging Face</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Verify</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Check the model's files against their recorded hashes</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Remove</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Delete the selected model's files from this computer</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Import Folder…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Copy a model folder from another computer into AltLens</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Other &amp;model (Hugging Face id):</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Other model, as a Hugging Face id</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Any image captioning model of a supported family, for example Salesforce/blip-image-captioning-base</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Download &amp;Other</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Download the model named in the field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Model progress</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Cancel</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stop the download, import or check in progress</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Status</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>A download goes on after the dialog closes</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Good for: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Given when AltLens was started (--model); AltLens does not manage this folder. Choose another model to use one from this list.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Downloaded %1; it works offline now.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Imported %1.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Removed %1 from this computer.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stopped. Nothing half-finished was kept in use.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Select a model to see what it is.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>AltLens captions with a model stored on this computer. Download one once (the only time AltLens uses the internet), or import a model folder copied from another computer; then everything works offline. Each family is good for something else: the small ones caption many photos fast; Florence-2 and SmolVLM2 describe in detail and read text (Settings, detail model).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Stored in %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Type a Hugging Face model id first, such as owner/model-name.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>AltLens now captions with %1.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove model</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Delete the files of %1 (%2) from this computer? You can download or import it again later.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Choose a model folder to import</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Downloading %1…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Importing %1…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Checking %1…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Removing %1…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1: %2 of %3</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>, %1/s</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>about %n minute(s) left</source>
      <translation>
        <numerusform>about %n minute left</numerusform>
        <numerusform>about %n minutes left</numerusform>
      </translation>
    </message>
    <message>
      <source>less than a minute left</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source> — checking the files</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>%1: all %n file(s) match their recorded hashes.</source>
      <translation>
        <numerusform>%1: all %n file match their recorded hashes.</numerusform>
        <numerusform>%1: all %n files match their recorded hashes.</numerusform>
      </translation>
    </message>
    <message>
      <source>%1 is damaged: %2. Download or import it again.</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ModelStatus</name>
    <message>
      <source>No captioning model is installed</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1

Open the model manager to download one, or import a model folder copied from another computer. Images you add wait until a model is ready.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The captioning model could not be loaded</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1

Choose another model in Settings or the model manager, or try again.</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ProgressStrip</name>
    <message>
      <source>Captioning progress</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Pause captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cancel captioning</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captioned %1 of %2</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>, %n failed</source>
      <translation>
        <numerusform>, %n failed</numerusform>
        <numerusform>, %n failed</numerusform>
      </translation>
    </message>
    <message>
      <source> (paused)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 images/s</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>about %n second(s) left</source>
      <translation>
        <numerusform>about %n second left</numerusform>
        <numerusform>about %n seconds left</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>about %n hour(s) left</source>
      <translation>
        <numerusform>about %n hour left</numerusform>
        <numerusform>about %n hours left</numerusform>
      </translation>
    </message>
    <message>
      <source>Captioning idle</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>about %n minute(s) left</source>
      <translation>
        <numerusform>about %n minute left</numerusform>
        <numerusform>about %n minutes left</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ReviewPanel</name>
    <message>
      <source>Status icon</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Error</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove from List</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Ope&amp;n Containing Folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Suggestions</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Alt text:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Alt text</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The text a screen reader reads for this image. Target %1 characters, at most %2.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Long &amp;description (optional):</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Long description</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Optional detail that does not fit in the alt text, for images such as charts or maps.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Detail progress</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Suggestions (Alt+1 to Alt+5):</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove from list</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Take this image out of the list; the file is not touched</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open containing folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show the folder that holds this file in the file manager</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captions suggested by the model, best first, with its confidence. Press Enter or the number key (here, or Alt and the number anywhere) to use one.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>D&amp;ecorative image: screen readers skip it</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Decorative image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Mark images that add nothing to the content, such as ornaments or spacers.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No image open</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Choose an image in the list and press Enter, or press F8 for the next one needing review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Preview</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open image: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Preview of %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Loading preview…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Details: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Error: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>In the file now: “%1”</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Writing to the file…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Waiting for a suggestion from the model…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>This image could not be captioned.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Written to the file. Undo with Ctrl+Shift+Backspace.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approved as decorative; nothing needs writing.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approved by you; not written to the file yet.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write undone: the text stays approved and is no longer in the file.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Rejected: nothing will be written.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Skipped earlier; it still needs review.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Edited by you; not approved yet.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Machine suggestion %1 (%2), chosen by you; not reviewed yet.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Machine suggestion (%1), not reviewed yet. Check it before approving.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No preview</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 characters: %2 over the maximum of %3</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 of %2 characters: over the target (maximum %3)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 of %2 characters (maximum %3)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Character count: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Problem:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Hint:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Note:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>No hints</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Machine suggestion, not reviewed yet.</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ReviewSession</name>
    <message>
      <source>No preview: %1</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Approve and write the alt text of %n image(s)?</source>
      <translation>
        <numerusform>Approve and write the alt text of %n image?</numerusform>
        <numerusform>Approve and write the alt text of %n images?</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n selected image(s) will be left alone (no usable text, or already decided).</source>
      <translation>
        <numerusform>%n selected image will be left alone (no usable text, or already decided).</numerusform>
        <numerusform>%n selected images will be left alone (no usable text, or already decided).</numerusform>
      </translation>
    </message>
    <message>
      <source>Approve selected</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Remove from list</source>
      <translation type="unfinished" />
    </message>
    <message numerus="yes">
      <source>Remove %n image(s) from the list? AltLens forgets their suggestions and decisions; the files and any text already written stay as they are.</source>
      <translation>
        <numerusform>Remove %n image from the list? AltLens forgets their suggestions and decisions; the files and any text already written stay as they are.</numerusform>
        <numerusform>Remove %n images from the list? AltLens forgets their suggestions and decisions; the files and any text already written stay as they are.</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>SettingsDialog</name>
    <message>
      <source>Settings</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Model</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Default (%1)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>An installed model's name, a Hugging Face id, or a model folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Browse…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Browse for a model folder</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Model:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Automatic (GPU if available)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>CPU</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>NVIDIA GPU (CUDA)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Apple GPU (Metal)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Device:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Automatic</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Full (float32)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Half (bfloat16)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Half (float16)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Precision:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Images per ba&amp;tch:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Keep a backup &amp;copy of each file before its first write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show the fields bef&amp;ore every write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Suggestions</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Det&amp;ail model:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>The larger model used by Describe in Detail and Read Text in Image; loaded only when first asked for</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Tell the detail model the photo's folder name, keywords, headline and location (SmolVLM2 only; shown to you when used)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Also the names of people the photo's metadata mentions</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>8-bit integers (int8)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Half for the image, 8-bit for the text (mixed)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Beam search &amp;width:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>More beams: better captions, slower. 1 means greedy decoding.</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Suggestions per &amp;image:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>At most the beam width</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Maximum &amp;length (tokens):</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Writing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Standard (IPTC alt text, XMP, EXIF description)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Standard plus Windows Explorer's title and comment</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Fields to write:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Fill &amp;empty fields only; keep text a person wrote</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Replace existing text</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Fill empty fields only</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Replace existing text</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Keep the files' modification dates</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>photo.CR2.xmp (darktable, digiKam)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>photo.xmp (Lightroom, Bridge, Capture One)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>New &amp;sidecar names:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Used for RAW, BMP and GIF files, whose metadata goes in an XMP file beside them</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show the fields before every write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Otherwise they are shown before the first write of each session</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Reviewing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>After a decision, open the &amp;next image needing review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>OK</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cancel</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Restore defaults</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>A model folder of the Florence-2 or SmolVLM2 family</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Choose a model folder</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>ShortcutsDialog</name>
    <message>
      <source>Keyboard shortcuts</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1 anywhere; %2 outside text fields</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Open the selected image</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Enter (in the image list)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Go to a field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Alt + the underlined letter</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Command</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Keys</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>What it does</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Status</name>
    <message>
      <source>Writing…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Captioning…</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>New</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Waiting for the model</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Needs review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Skipped, needs review</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write undone, approved, not in the file</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approved, not written</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Written to file</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Rejected</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Error</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>All images</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Waiting</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Approved</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Written</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Errors</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>confidence %1%</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>machine suggestion, %1</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>WritePreviewDialog</name>
    <message>
      <source>Preview write: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>AltLens will write these fields in %1:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Nothing would change in %1: every field already has this text, or is left alone (below).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>(empty)</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Field</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Now</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>After writing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Tag</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Fields that will change</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>New sidecar file: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Left alone:</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Why</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Fields left alone</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Warning: %1</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Mode: replace existing text (change in Settings).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Mode: fill empty fields only; text a person wrote is kept (change in Settings).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Show this before every write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Show this before every write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Otherwise it is shown before the first write of each session, and with Preview Write (Ctrl+P).</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>&amp;Write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write these fields into the file now</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Cancel</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Write nothing</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>Close</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>Writing</name>
    <message>
      <source>Captions cannot be written into files</source>
      <translation type="unfinished" />
    </message>
    <message>
      <source>%1

Suggestions still work, and you can approve them; approved text is written with Approve and Write Selected once writing works.</source>
      <translation type="unfinished" />
    </message>
  </context>
  <context>
    <name>a11y</name>
    <message>
      <source>Select all</source>
      <translation type="unfinished" />
    </message>
  </context>
</TS>